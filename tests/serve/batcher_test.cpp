// The dynamic batcher on its own, with a stand-in model whose calls are recorded: which rows it
// coalesces, that every job gets its own rows back, and how it refuses work.
#include <catch2/catch.hpp>
#include <torch/torch.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "serve/batcher.h"

using namespace clipforge::serve;
using namespace std::chrono_literals;

namespace clipforge::serve {
// For Catch's messages (found by argument-dependent lookup).
std::ostream& operator<<(std::ostream& out, Tower tower) { return out << (tower == Tower::kImage ? "image" : "text"); }
}  // namespace clipforge::serve

namespace {

// Features of a row = [row value, tower]: each job can check it got its own rows back.
struct RecordingModel {
  std::mutex mutex;
  std::vector<std::pair<Tower, int64_t>> calls;
  std::atomic<bool> hold{false};  // while set, a call waits: the queue fills behind it
  std::atomic<int> entered{0};     // calls started

  Batcher::Encode encode() {
    return [this](Tower tower, const torch::Tensor& inputs) {
      ++entered;
      while (hold) std::this_thread::sleep_for(1ms);
      {
        std::lock_guard<std::mutex> lock(mutex);
        calls.emplace_back(tower, inputs.size(0));
      }
      const torch::Tensor marker = torch::full({inputs.size(0), 1}, tower == Tower::kImage ? 1.0f : 2.0f);
      return torch::cat({inputs.reshape({inputs.size(0), -1}).narrow(1, 0, 1).to(torch::kFloat), marker}, 1);
    };
  }
};

torch::Tensor rows_from(float first, int64_t n) { return torch::arange(first, first + n, torch::kFloat).reshape({n, 1}); }

Clock::time_point later() { return Clock::now() + 60s; }

// Until the model has started `calls` calls: what it took is no longer queued.
void wait_for_calls(const RecordingModel& model, int calls) {
  while (model.entered < calls) std::this_thread::sleep_for(1ms);
}

void check_rows(const torch::Tensor& features, float first, int64_t n, float tower) {
  REQUIRE(features.size(0) == n);
  for (int64_t i = 0; i < n; ++i) {
    CHECK(features[i][0].item<float>() == first + i);
    CHECK(features[i][1].item<float>() == tower);
  }
}

}  // namespace

TEST_CASE("jobs queued within the wait share one model call and each gets its own rows", "[serve][batcher]") {
  RecordingModel model;
  std::vector<std::future<torch::Tensor>> results;
  {
    model.hold = true;  // the first call blocks until every job below is queued
    Batcher batcher({/*max_batch=*/16, /*max_wait=*/0us, /*max_queue_rows=*/100}, model.encode());
    results.push_back(batcher.submit(Tower::kImage, rows_from(0, 1), later()));
    wait_for_calls(model, 1);  // the batcher has taken job 0 and waits in the model
    results.push_back(batcher.submit(Tower::kImage, rows_from(100, 2), later()));
    results.push_back(batcher.submit(Tower::kText, rows_from(200, 3), later()));
    results.push_back(batcher.submit(Tower::kImage, rows_from(300, 4), later()));
    results.push_back(batcher.submit(Tower::kText, rows_from(400, 1), later()));
    CHECK(batcher.queued_rows() == 10);
    model.hold = false;
    check_rows(results[0].get(), 0, 1, 1);
    check_rows(results[1].get(), 100, 2, 1);
    check_rows(results[2].get(), 200, 3, 2);
    check_rows(results[3].get(), 300, 4, 1);
    check_rows(results[4].get(), 400, 1, 2);
  }
  // The oldest waiting job's tower goes first; towers never share a call.
  const std::vector<std::pair<Tower, int64_t>> expected = {{Tower::kImage, 1}, {Tower::kImage, 6}, {Tower::kText, 4}};
  CHECK(model.calls == expected);
}

TEST_CASE("a batch never exceeds max_batch rows, and a larger job runs alone in chunks", "[serve][batcher]") {
  RecordingModel model;
  model.hold = true;
  Batcher batcher({/*max_batch=*/4, /*max_wait=*/0us, /*max_queue_rows=*/100}, model.encode());
  auto first = batcher.submit(Tower::kImage, rows_from(0, 1), later());
  wait_for_calls(model, 1);
  auto a = batcher.submit(Tower::kImage, rows_from(10, 3), later());
  auto b = batcher.submit(Tower::kImage, rows_from(20, 2), later());  // does not fit beside a: waits
  auto c = batcher.submit(Tower::kImage, rows_from(30, 1), later());  // fits, but may not overtake b
  auto big = batcher.submit(Tower::kImage, rows_from(40, 10), later());
  model.hold = false;
  check_rows(first.get(), 0, 1, 1);
  check_rows(a.get(), 10, 3, 1);
  check_rows(b.get(), 20, 2, 1);
  check_rows(c.get(), 30, 1, 1);
  check_rows(big.get(), 40, 10, 1);
  const std::vector<std::pair<Tower, int64_t>> expected = {
      {Tower::kImage, 1}, {Tower::kImage, 3}, {Tower::kImage, 3}, {Tower::kImage, 4}, {Tower::kImage, 4}, {Tower::kImage, 2}};
  CHECK(model.calls == expected);
}

TEST_CASE("a full queue refuses new jobs, but an empty one takes a job larger than itself", "[serve][batcher]") {
  RecordingModel model;
  model.hold = true;
  Batcher batcher({/*max_batch=*/8, /*max_wait=*/0us, /*max_queue_rows=*/3}, model.encode());
  auto running = batcher.submit(Tower::kText, rows_from(0, 1), later());
  wait_for_calls(model, 1);  // taken by the model: the queue is empty again
  auto big = batcher.submit(Tower::kText, rows_from(10, 5), later());  // 5 > 3, admitted into the empty queue
  CHECK(batcher.queued_rows() == 5);
  CHECK_THROWS_AS(batcher.submit(Tower::kText, rows_from(20, 1), later()), QueueFull);
  model.hold = false;
  check_rows(big.get(), 10, 5, 2);
  CHECK(batcher.queued_rows() == 0);
  auto after = batcher.submit(Tower::kText, rows_from(30, 3), later());
  check_rows(after.get(), 30, 3, 2);
  running.get();
}

TEST_CASE("a job whose deadline passed in the queue is not run", "[serve][batcher]") {
  RecordingModel model;
  model.hold = true;
  Batcher batcher({/*max_batch=*/8, /*max_wait=*/0us, /*max_queue_rows=*/100}, model.encode());
  auto running = batcher.submit(Tower::kImage, rows_from(0, 1), later());
  wait_for_calls(model, 1);
  auto expired = batcher.submit(Tower::kImage, rows_from(10, 2), Clock::now() + 5ms);
  auto alive = batcher.submit(Tower::kImage, rows_from(20, 1), later());
  std::this_thread::sleep_for(30ms);
  model.hold = false;
  CHECK_THROWS_AS(expired.get(), DeadlineExceeded);
  check_rows(alive.get(), 20, 1, 1);
  running.get();
  std::lock_guard<std::mutex> lock(model.mutex);
  CHECK(model.calls.back() == std::pair<Tower, int64_t>{Tower::kImage, 1});  // `alive` alone
}

TEST_CASE("a lone job waits max_wait for company, and a model error reaches every job of its batch", "[serve][batcher]") {
  std::atomic<int> calls{0};
  Batcher batcher({/*max_batch=*/8, /*max_wait=*/2s, /*max_queue_rows=*/100}, [&](Tower, const torch::Tensor& inputs) {
    ++calls;
    if (inputs.size(0) > 1) throw std::runtime_error("model failed");
    return inputs;
  });
  auto first = batcher.submit(Tower::kImage, rows_from(0, 1), later());
  std::this_thread::sleep_for(50ms);  // well inside the first job's 2 s wait
  auto second = batcher.submit(Tower::kImage, rows_from(1, 1), later());
  CHECK_THROWS_WITH(first.get(), "model failed");
  CHECK_THROWS_WITH(second.get(), "model failed");
  CHECK(calls == 1);
}

TEST_CASE("destroying the batcher finishes the jobs already queued", "[serve][batcher]") {
  RecordingModel model;
  std::vector<std::future<torch::Tensor>> results;
  const auto start = Clock::now();
  {
    Batcher batcher({/*max_batch=*/2, /*max_wait=*/30s, /*max_queue_rows=*/100}, model.encode());
    for (int i = 0; i < 5; ++i) results.push_back(batcher.submit(Tower::kText, rows_from(float(i), 1), later()));
  }  // stopping ends every wait for company
  CHECK(Clock::now() - start < 10s);
  for (int i = 0; i < 5; ++i) check_rows(results[i].get(), float(i), 1, 2);
}

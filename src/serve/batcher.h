// Dynamic batching for `clipforge serve`: concurrent requests' images and texts are coalesced
// into one model call, which costs little more than a call for one of them, and the model runs
// on one thread so its intra-op threads never compete with another forward pass.
//
//   Batcher batcher(BatcherOptions{}, encode);
//   std::future<torch::Tensor> rows = batcher.submit(Tower::kImage, pixels, deadline);
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <torch/types.h>

namespace clipforge::serve {

enum class Tower { kImage, kText };

using Clock = std::chrono::steady_clock;

struct BatcherOptions {
  int max_batch = 32;                  // rows per model call
  std::chrono::microseconds max_wait{0};  // how long the oldest job waits for company
  int64_t max_queue_rows = 256;        // rows waiting, summed over jobs
};

// Thrown by submit() when the queue is full: the caller answers 503 with Retry-After.
struct QueueFull : std::runtime_error {
  QueueFull() : std::runtime_error("the request queue is full") {}
};
// Set on a job's future when its deadline passed before the model reached it.
struct DeadlineExceeded : std::runtime_error {
  DeadlineExceeded() : std::runtime_error("the request's deadline passed while it waited in the queue") {}
};

class Batcher {
 public:
  // inputs [n, ...] of one tower -> features [n, dim]; called on the batcher's own thread only.
  using Encode = std::function<torch::Tensor(Tower, const torch::Tensor& inputs)>;
  // Called on the batcher's thread after each model call with its row count.
  using BatchObserver = std::function<void(Tower, int64_t rows)>;

  Batcher(BatcherOptions options, Encode encode, BatchObserver observe = {});
  // Finishes every job already queued, then stops the thread.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues inputs [n, ...] (n >= 1). A job is admitted while the queue is empty or its rows fit
  // under max_queue_rows, so one job larger than the queue still runs (alone, in max_batch
  // chunks) when nothing else waits. Throws QueueFull otherwise. Jobs past their deadline leave
  // the queue first: nobody waits for them any more.
  std::future<torch::Tensor> submit(Tower tower, torch::Tensor inputs, Clock::time_point deadline);

  int64_t queued_rows() const;

 private:
  struct Job {
    Tower tower;
    torch::Tensor inputs;
    Clock::time_point arrival, deadline;
    std::promise<torch::Tensor> result;
  };

  void run();
  void drop_expired(Clock::time_point now);  // with mutex_ held
  std::vector<Job> take_batch(std::unique_lock<std::mutex>& lock);
  void encode_batch(std::vector<Job>& jobs);

  const BatcherOptions options_;
  const Encode encode_;
  const BatchObserver observe_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // arrival order; jobs of both towers interleave
  int64_t queued_rows_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace clipforge::serve

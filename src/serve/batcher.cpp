#include "serve/batcher.h"

#include <torch/torch.h>

namespace clipforge::serve {

Batcher::Batcher(BatcherOptions options, Encode encode, BatchObserver observe)
    : options_(options), encode_(std::move(encode)), observe_(std::move(observe)), thread_([this] { run(); }) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::future<torch::Tensor> Batcher::submit(Tower tower, torch::Tensor inputs, Clock::time_point deadline) {
  if (!inputs.defined() || inputs.dim() == 0 || inputs.size(0) == 0) throw std::invalid_argument("Batcher::submit: no rows");
  const int64_t rows = inputs.size(0);
  std::future<torch::Tensor> future;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_expired(Clock::now());
    if (!queue_.empty() && queued_rows_ + rows > options_.max_queue_rows) throw QueueFull();
    queue_.push_back(Job{tower, std::move(inputs), Clock::now(), deadline, {}});
    future = queue_.back().result.get_future();
    queued_rows_ += rows;
  }
  wake_.notify_all();
  return future;
}

int64_t Batcher::queued_rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_rows_;
}

void Batcher::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to finish
    std::vector<Job> jobs = take_batch(lock);
    lock.unlock();
    encode_batch(jobs);
    lock.lock();
  }
}

void Batcher::drop_expired(Clock::time_point now) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline >= now) {
      ++it;
      continue;
    }
    queued_rows_ -= it->inputs.size(0);
    it->result.set_exception(std::make_exception_ptr(DeadlineExceeded()));
    it = queue_.erase(it);
  }
}

std::vector<Batcher::Job> Batcher::take_batch(std::unique_lock<std::mutex>& lock) {
  // Only this thread takes jobs, but submit() drops expired ones: the front is read again after
  // the wait.
  Tower tower = queue_.front().tower;
  const auto rows_waiting = [&] {
    int64_t rows = 0;
    for (const Job& job : queue_)
      if (job.tower == tower) rows += job.inputs.size(0);
    return rows;
  };
  wake_.wait_until(lock, queue_.front().arrival + options_.max_wait,
                   [&] { return stopping_ || rows_waiting() >= options_.max_batch; });
  drop_expired(Clock::now());
  if (queue_.empty()) return {};
  tower = queue_.front().tower;
  // Arrival order within the tower: a job that does not fit ends the batch rather than being
  // overtaken by later, smaller ones.
  std::vector<Job> jobs;
  int64_t rows = 0;
  for (auto it = queue_.begin(); it != queue_.end() && rows < options_.max_batch;) {
    if (it->tower != tower) {
      ++it;
      continue;
    }
    const int64_t n = it->inputs.size(0);
    if (!jobs.empty() && rows + n > options_.max_batch) break;
    rows += n;
    queued_rows_ -= n;
    jobs.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  return jobs;
}

void Batcher::encode_batch(std::vector<Job>& jobs) {
  const auto now = Clock::now();
  std::vector<Job*> live;
  for (Job& job : jobs) {
    if (job.deadline < now)
      job.result.set_exception(std::make_exception_ptr(DeadlineExceeded()));
    else
      live.push_back(&job);
  }
  if (live.empty()) return;
  const Tower tower = live.front()->tower;
  // Every job's rows are cut before any promise is kept: a failure part-way would otherwise
  // set a kept promise again, which throws out of this thread.
  std::vector<torch::Tensor> answers;
  try {
    std::vector<torch::Tensor> inputs;
    for (Job* job : live) inputs.push_back(job->inputs);
    const torch::Tensor all = inputs.size() == 1 ? inputs.front() : torch::cat(inputs);
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < all.size(0); start += options_.max_batch) {
      const int64_t n = std::min<int64_t>(options_.max_batch, all.size(0) - start);
      parts.push_back(encode_(tower, all.narrow(0, start, n)));
      if (observe_) observe_(tower, n);
    }
    const torch::Tensor features = parts.size() == 1 ? parts.front() : torch::cat(parts);
    if (features.dim() < 1 || features.size(0) != all.size(0))
      throw std::runtime_error("the model answered " + std::to_string(features.dim() ? features.size(0) : 0) + " rows for " +
                               std::to_string(all.size(0)));
    int64_t offset = 0;
    for (Job* job : live) {
      answers.push_back(features.narrow(0, offset, job->inputs.size(0)));
      offset += job->inputs.size(0);
    }
  } catch (...) {
    for (Job* job : live) job->result.set_exception(std::current_exception());
    return;
  }
  for (size_t i = 0; i < live.size(); ++i) live[i]->result.set_value(answers[i]);
}

}  // namespace clipforge::serve

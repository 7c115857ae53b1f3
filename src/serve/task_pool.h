// A fixed set of threads running queued tasks: `clipforge serve` decodes images here, apart from
// the model's thread and from the connection threads, so decoding uses a bounded number of cores
// however many clients are connected.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace clipforge::serve {

class TaskPool {
 public:
  explicit TaskPool(int threads);
  // Runs every queued task, then joins.
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // An exception thrown by `task` comes out of the future.
  std::future<void> submit(std::function<void()> task);

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace clipforge::serve

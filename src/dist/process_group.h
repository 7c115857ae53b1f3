// A c10d process group (Gloo on CPU, NCCL on CUDA where LibTorch was built with it) and the
// collectives training needs. No networking of our own: TCPStore for the rendezvous, c10d for
// the data.
//
//   DistEnvironment env = read_dist_environment();
//   auto group = DistGroup::create(env, std::chrono::minutes(30), device);
//   group->broadcast_from_rank0(*model);
//   torch::Tensor all = group->all_gather_with_grad(local_features);
#pragma once

#include <torch/nn/module.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "dist/environment.h"

namespace c10d {
class ProcessGroup;
class Store;
}  // namespace c10d

namespace clipforge {

class DistGroup {
 public:
  // Rendezvous through the TCPStore at MASTER_ADDR:MASTER_PORT (hosted by rank 0, or by
  // torchrun's agent), then a process group with `timeout` for every collective. A port in use
  // or an unreachable master is a runtime_error saying so.
  static std::unique_ptr<DistGroup> create(const DistEnvironment& env, std::chrono::milliseconds timeout,
                                           const c10::Device& device);
  ~DistGroup();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  c10d::ProcessGroup& group() { return *group_; }

  // Every parameter and buffer takes rank 0's value.
  void broadcast_from_rank0(torch::nn::Module& module);

  // Rows of every rank concatenated in rank order: [world * rows, ...]. The backward of the
  // with-grad form sums the gradient over ranks and returns this rank's slice, so a loss on the
  // gathered features trains every rank's encoder.
  torch::Tensor all_gather(const torch::Tensor& local);
  torch::Tensor all_gather_with_grad(const torch::Tensor& local);

  // Sum of `value` over ranks.
  double all_reduce_sum(double value);
  void barrier();

  // Turns a failed or timed-out collective into a one-line error naming the rank(s) that
  // stopped answering, when it can tell (ranks publish a heartbeat in the store).
  [[noreturn]] void fail(const std::string& what, const std::exception& cause);

 private:
  DistGroup(DistEnvironment env, c10::intrusive_ptr<c10d::Store> store, c10::intrusive_ptr<c10d::ProcessGroup> group);

  DistEnvironment env_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroup> group_;
  std::atomic<bool> stop_{false};
  std::thread heartbeat_;
};

}  // namespace clipforge

// A c10d process group (Gloo on CPU, NCCL on CUDA where LibTorch was built with it) and the
// collectives training needs. No networking of our own: TCPStore for the rendezvous, c10d for
// the data.
//
//   DistEnvironment env = read_dist_environment();
//   auto group = DistGroup::create(env, std::chrono::minutes(30), device);
//   group->broadcast_from_rank0(*model);
//   torch::Tensor all = group->all_gather_with_grad(local_features);
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "dist/environment.h"

#include "model/torch_compat.h"

namespace c10d {
class Store;
}  // namespace c10d

namespace clipforge {

class DistGroup {
 public:
  // Rendezvous through the TCPStore at MASTER_ADDR:MASTER_PORT (hosted by rank 0, or by
  // torchrun's agent), then a process group with `timeout` for every collective: NCCL bound to
  // `device` (made current first) for a CUDA device, Gloo otherwise. A port in use or an
  // unreachable master is a runtime_error saying so.
  static std::unique_ptr<DistGroup> create(const DistEnvironment& env, std::chrono::milliseconds timeout,
                                           const c10::Device& device);
  ~DistGroup();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  CollectiveGroup& group() { return *group_; }

  // Every parameter and buffer takes rank 0's value.
  void broadcast_from_rank0(torch::nn::Module& module);

  // Rows of every rank concatenated in rank order: [world * rows, ...]. The backward of the
  // with-grad form sums the gradient over ranks and returns this rank's slice, so a loss on the
  // gathered features trains every rank's encoder.
  torch::Tensor all_gather(const torch::Tensor& local);
  torch::Tensor all_gather_with_grad(const torch::Tensor& local);
  // The with-grad form's backward: the gathered features' gradient summed over ranks, this
  // rank's `rows` rows of it.
  torch::Tensor sum_gathered_gradient(const torch::Tensor& grad, int64_t rows);
  // Seconds spent in the feature all-gathers and their backward, since the group was made: the
  // trainer reports it apart from compute.
  double feature_exchange_seconds() const { return feature_exchange_s_; }

  // Element-wise sums of `values` over ranks, reduced on the group's device (NCCL takes only
  // CUDA tensors).
  std::vector<double> all_reduce_sum(const std::vector<double>& values);

  // Every rank's `value` in rank order at rank 0 (the others get an empty vector): small records
  // such as loader positions, through the rendezvous store. Every rank calls it with the same
  // `key`, which must not have been used before.
  std::vector<std::string> gather_to_rank0(const std::string& key, const std::string& value);
  // Rank 0's `value` on every rank, through the store (`what` names it in errors). Every rank
  // makes the same sequence of these calls.
  std::string share_from_rank0(const std::string& what, const std::string& value);
  void barrier();

  // {"gloo": true, "nccl": whether this build has the NCCL process group, "nccl_version": "2.28.9"
  // or null}. The version is NCCL's own answer, so it needs the NCCL library, not a GPU.
  static nlohmann::json backends();

  // Rank 0 runs `work` alone (evaluation, vocabulary training) while the others wait for it with a
  // timeout of their own, `wait`, rather than --dist-timeout: rank-0-only work longer than the
  // collectives' timeout must not end the job. If `work` throws on rank 0, the others stop with a
  // runtime_error saying so. Every rank calls it with the same new `key`.
  void run_on_rank0(const std::string& key, std::chrono::milliseconds wait, const std::function<void()>& work);

  // Turns a failed or timed-out collective into a one-line error naming the rank(s) that
  // stopped answering, when it can tell (ranks publish a heartbeat in the store).
  [[noreturn]] void fail(const std::string& what, const std::exception& cause);

 private:
  DistGroup(DistEnvironment env, c10::Device device, c10::intrusive_ptr<c10d::Store> store,
            c10::intrusive_ptr<CollectiveGroup> group);

  DistEnvironment env_;
  c10::Device device_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<CollectiveGroup> group_;
  int64_t shares_ = 0;
  double feature_exchange_s_ = 0;
  std::atomic<bool> stop_{false};
  std::thread heartbeat_;
};

}  // namespace clipforge

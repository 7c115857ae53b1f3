#include "dist/gradient_sync.h"

// Declares CollectiveGroup in every version: the ProcessGroup itself, or (2.x) with its Backend.
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/torch.h>

#include <chrono>
#include <sstream>

#include "core/error.h"
#include "dist/process_group.h"

namespace clipforge {

GradientSync::GradientSync(DistGroup& group, const std::vector<torch::Tensor>& parameters, BucketSizes sizes)
    : group_(group), parameters_(parameters), sizes_(sizes), slots_(parameters.size()), seen_(parameters.size(), false) {
  for (size_t k = 0; k < parameters_.size(); ++k) {
    parameters_[k].register_hook([this, k](torch::Tensor grad) {
      on_gradient(k, grad);
      return grad;
    });
  }
}

void GradientSync::build_buckets(const std::vector<size_t>& ready_order) {
  std::vector<int64_t> bucket_numel;
  int64_t filled_bytes = 0;
  for (size_t index : ready_order) {
    const torch::Tensor& p = parameters_[index];
    const int64_t bytes = p.numel() * p.element_size();
    const int64_t cap = buckets_.size() == 1 ? sizes_.first_bytes : sizes_.bytes;
    const bool dtype_changes = !buckets_.empty() && parameters_[buckets_.back().parameters[0]].scalar_type() != p.scalar_type();
    if (buckets_.empty() || dtype_changes || (filled_bytes > 0 && filled_bytes + bytes > cap)) {
      buckets_.emplace_back();
      bucket_numel.push_back(0);
      filled_bytes = 0;
    }
    slots_[index] = {static_cast<int>(buckets_.size() - 1), bucket_numel.back(), p.numel()};
    buckets_.back().parameters.push_back(index);
    bucket_numel.back() += p.numel();
    filled_bytes += bytes;
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    const torch::Tensor& first = parameters_[buckets_[b].parameters[0]];
    buckets_[b].buffer = torch::empty({bucket_numel[b]}, first.options().requires_grad(false));
  }
}

std::vector<size_t> GradientSync::agreed_order() {
  // Parameters no hook saw (unused this step) go last, latest registered first.
  std::vector<size_t> order = ready_order_;
  std::vector<bool> listed(parameters_.size(), false);
  for (size_t index : order) listed[index] = true;
  for (size_t k = parameters_.size(); k-- > 0;)
    if (!listed[k]) order.push_back(k);
  std::string text;
  for (size_t index : order) text += std::to_string(index) + " ";
  // Hooks fire in the same order on every rank of one model, but a bucket layout that differed
  // between ranks would sum unrelated gradients silently: rank 0's order is the one used.
  std::istringstream agreed(group_.share_from_rank0("gradient bucket order", text));
  std::vector<size_t> result;
  std::vector<bool> taken(parameters_.size(), false);
  for (size_t index; agreed >> index;) {
    if (index >= parameters_.size() || taken[index]) break;
    taken[index] = true;
    result.push_back(index);
  }
  if (result.size() != parameters_.size())
    throw runtime_error("rank " + std::to_string(group_.rank()) + ": rank 0's gradient order does not fit this rank's " +
                        std::to_string(parameters_.size()) + " trainable parameters (do the ranks train the same model?)");
  return result;
}

void GradientSync::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  next_launch_ = 0;
  std::fill(seen_.begin(), seen_.end(), false);
  ready_order_.clear();
  launches_.clear();
  for (auto& b : buckets_) {
    b.ready = 0;
    b.work.reset();
  }
}

void GradientSync::on_gradient(size_t index, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || seen_[index]) return;
  seen_[index] = true;
  ready_order_.push_back(index);
  if (buckets_.empty()) return;  // the first step only learns the order
  torch::NoGradGuard no_grad;
  // The gradient the optimizer will see: earlier micro-batches' part plus this pass's.
  const torch::Tensor& earlier = parameters_[index].grad();
  store_gradient(index, earlier.defined() ? earlier + grad : grad);
  launch_ready_buckets(true);
}

void GradientSync::store_gradient(size_t index, const torch::Tensor& grad) {
  const Slot& s = slots_[index];
  Bucket& b = buckets_[s.bucket];
  torch::Tensor place = b.buffer.narrow(0, s.offset, s.numel);
  if (grad.defined()) {
    place.copy_(grad.reshape({-1}));
  } else {
    place.zero_();
  }
  ++b.ready;
}

void GradientSync::launch_ready_buckets(bool during_backward) {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].ready == buckets_[next_launch_].parameters.size()) {
    Bucket& b = buckets_[next_launch_];
    std::vector<torch::Tensor> tensors = {b.buffer};
    try {
      b.work = group_.group().allreduce(tensors);
    } catch (const std::exception& e) {
      group_.fail("gradient all-reduce", e);
    }
    launches_.push_back({static_cast<int>(next_launch_++), ready_order_.size(), during_backward});
  }
}

void GradientSync::finish() {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  torch::NoGradGuard no_grad;
  if (buckets_.empty()) {
    build_buckets(agreed_order());
    std::fill(seen_.begin(), seen_.end(), false);  // every gradient is still to be stored
  }
  // Parameters whose gradient no hook stored (unused this step, or the first step) still take
  // part, with whatever they accumulated, so every rank launches every bucket in the same order.
  for (size_t k = 0; k < parameters_.size(); ++k) {
    if (seen_[k]) continue;
    seen_[k] = true;
    store_gradient(k, parameters_[k].grad());
  }
  launch_ready_buckets(false);
  const double world = group_.world_size();
  for (auto& b : buckets_) {
    try {
      b.work->wait();
    } catch (const std::exception& e) {
      group_.fail("gradient all-reduce", e);
    }
    b.buffer.div_(world);
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    const Slot& s = slots_[k];
    torch::Tensor averaged = buckets_[s.bucket].buffer.narrow(0, s.offset, s.numel).view(parameters_[k].sizes());
    if (parameters_[k].grad().defined()) {
      parameters_[k].mutable_grad().copy_(averaged);
    } else {
      parameters_[k].mutable_grad() = averaged.clone();
    }
  }
  armed_ = false;
  last_wait_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace clipforge

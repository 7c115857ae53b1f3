#include "dist/gradient_sync.h"

// Declares CollectiveGroup in every version: the ProcessGroup itself, or (2.x) with its Backend.
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/torch.h>

#include <chrono>

#include "dist/process_group.h"

namespace clipforge {

GradientSync::GradientSync(DistGroup& group, const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes)
    : group_(group), parameters_(parameters), slots_(parameters.size()), seen_(parameters.size(), false) {
  // Gradients arrive roughly in reverse order of the forward pass, so buckets are filled from
  // the last parameter backwards: the first bucket to fill is the first launched.
  int64_t bucket_size = 0;
  for (size_t k = parameters_.size(); k-- > 0;) {
    const torch::Tensor& p = parameters_[k];
    if (buckets_.empty() || bucket_size + p.numel() * p.element_size() > bucket_bytes ||
        buckets_.back().buffer.scalar_type() != p.scalar_type()) {
      buckets_.push_back({});
      buckets_.back().buffer = torch::empty({0}, p.options());
      bucket_size = 0;
    }
    Bucket& b = buckets_.back();
    slots_[k] = {static_cast<int>(buckets_.size() - 1), b.buffer.numel(), p.numel()};
    b.buffer = torch::empty({b.buffer.numel() + p.numel()}, p.options().requires_grad(false));
    b.parameters.push_back(k);
    bucket_size += p.numel() * p.element_size();
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    parameters_[k].register_hook([this, k](torch::Tensor grad) {
      on_gradient(k, grad);
      return grad;
    });
  }
}

void GradientSync::arm() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = true;
  next_launch_ = 0;
  std::fill(seen_.begin(), seen_.end(), false);
  for (auto& b : buckets_) {
    b.ready = 0;
    b.launched = false;
    b.work.reset();
  }
}

void GradientSync::on_gradient(size_t index, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || seen_[index]) return;
  seen_[index] = true;
  const Slot& s = slots_[index];
  Bucket& b = buckets_[s.bucket];
  torch::NoGradGuard no_grad;
  // The gradient the optimizer will see: earlier micro-batches' part plus this pass's.
  torch::Tensor total = parameters_[index].grad().defined() ? parameters_[index].grad() + grad : grad;
  b.buffer.narrow(0, s.offset, s.numel).copy_(total.reshape({-1}));
  ++b.ready;
  launch_ready_buckets();
}

void GradientSync::launch_ready_buckets() {
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].ready == buckets_[next_launch_].parameters.size()) {
    Bucket& b = buckets_[next_launch_++];
    std::vector<torch::Tensor> tensors = {b.buffer};
    try {
      b.work = group_.group().allreduce(tensors);
    } catch (const std::exception& e) {
      group_.fail("gradient all-reduce", e);
    }
    b.launched = true;
  }
}

void GradientSync::finish() {
  const auto start = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  torch::NoGradGuard no_grad;
  // Parameters that got no gradient in the last pass (unused this step) still take part, with
  // whatever they accumulated, so every rank launches every bucket in the same order.
  for (size_t k = 0; k < parameters_.size(); ++k) {
    if (seen_[k]) continue;
    seen_[k] = true;
    const Slot& s = slots_[k];
    Bucket& b = buckets_[s.bucket];
    torch::Tensor g = parameters_[k].grad();
    if (g.defined()) {
      b.buffer.narrow(0, s.offset, s.numel).copy_(g.reshape({-1}));
    } else {
      b.buffer.narrow(0, s.offset, s.numel).zero_();
    }
    ++b.ready;
  }
  launch_ready_buckets();
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

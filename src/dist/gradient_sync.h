// Data-parallel gradient averaging without DDP (LibTorch has none): parameters are packed into
// buckets of about `bucket_bytes`; during the step's last backward pass an autograd hook on each
// parameter copies its finished gradient into the bucket, and a full bucket is all-reduced at
// once, asynchronously, while backward carries on with earlier layers. finish() waits for the
// buckets and writes the averaged gradients back.
//
//   GradientSync sync(group, optimizer_parameters);
//   sync.arm();                         // before the last backward of the step
//   loss.backward();
//   sync.finish();                      // .grad now holds the average over ranks
#pragma once

#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/types.h>

#include <memory>
#include <mutex>
#include <vector>

namespace clipforge {

class DistGroup;

class GradientSync {
 public:
  // The hooks refer to this object: it must live as long as backward passes run on `parameters`
  // (the trainer owns both for the whole run).
  GradientSync(DistGroup& group, const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes = 25 << 20);

  // The next backward is the step's last: gradients that arrive from now on are final.
  void arm();
  // Waits for every bucket (launching those a hook did not), averages, writes .grad.
  void finish();

  // Seconds spent waiting in finish() during the last step (communication not hidden by backward).
  double last_wait_seconds() const { return last_wait_s_; }
  int bucket_count() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Slot {
    int bucket;
    int64_t offset, numel;
  };
  struct Bucket {
    torch::Tensor buffer;              // flat, the parameters' dtype and device
    std::vector<size_t> parameters;    // indices into parameters_
    size_t ready = 0;
    bool launched = false;
    c10::intrusive_ptr<c10d::Work> work;
  };

  void on_gradient(size_t index, const torch::Tensor& grad);
  void launch_ready_buckets();  // in bucket order, so every rank issues the same sequence

  DistGroup& group_;
  std::vector<torch::Tensor> parameters_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::vector<bool> seen_;
  size_t next_launch_ = 0;
  bool armed_ = false;
  std::mutex mutex_;
  double last_wait_s_ = 0;
};

}  // namespace clipforge

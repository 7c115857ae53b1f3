// Data-parallel gradient averaging without DDP (LibTorch has none), overlapped with backward as
// DDP does it: parameters are packed into buckets in the order their gradients become ready;
// during the step's last backward pass an autograd hook copies each finished gradient into its
// bucket, and a bucket whose gradients have all arrived is all-reduced at once, asynchronously,
// while backward carries on with earlier layers. finish() waits for the buckets and writes the
// averaged gradients back.
//
//   GradientSync sync(group, trainable_parameters);
//   sync.arm();                         // before the last backward of the step
//   loss.backward();
//   sync.finish();                      // .grad now holds the average over ranks
//
// The order is learned, not guessed: registration order puts the token embedding (registered
// after the text transformer, its gradient ready last) beside the last layers. The first step
// records the order in which the hooks fire, every rank adopts rank 0's (so every rank builds the
// same buckets), and that step reduces everything in finish(). From the second step on, the
// first bucket holds the first gradients backward produces. The order depends on the model and
// step code only, so a resumed run builds the same buckets as an uninterrupted one (the sums,
// and so the weights, stay bit-identical).
#pragma once

#include <torch/csrc/distributed/c10d/Work.hpp>
#include <torch/types.h>

#include <memory>
#include <mutex>
#include <vector>

namespace clipforge {

class DistGroup;

struct BucketSizes {
  // PyTorch DDP's sizes: a small first bucket, so the first all-reduce starts early in backward,
  // then --bucket-cap-mb. A parameter larger than a bucket gets one of its own.
  int64_t first_bytes = int64_t{1} << 20;
  int64_t bytes = int64_t{25} << 20;
};

class GradientSync {
 public:
  // The hooks refer to this object: it must live as long as backward passes run on `parameters`
  // (the trainer owns both for the whole run). One GradientSync per group: the first step's order
  // exchange is a collective.
  GradientSync(DistGroup& group, const std::vector<torch::Tensor>& parameters, BucketSizes sizes = {});

  // The next backward is the step's last: gradients that arrive from now on are final.
  void arm();
  // Waits for every bucket (launching those a hook did not), averages, writes .grad.
  void finish();

  // Seconds spent waiting in finish() during the last step (communication not hidden by backward).
  double last_wait_seconds() const { return last_wait_s_; }
  int bucket_count() const { return static_cast<int>(buckets_.size()); }
  // The parameters (indices into the constructor's list) of bucket `b`, in ready order.
  const std::vector<size_t>& bucket_members(int b) const { return buckets_.at(b).parameters; }

  // One all-reduce launch of the last step: which bucket, how many gradients had arrived by then,
  // and whether a hook launched it (during backward) or finish() did (after it).
  struct Launch {
    int bucket;
    size_t gradients_ready;
    bool during_backward;
  };
  const std::vector<Launch>& last_launches() const { return launches_; }

 private:
  struct Slot {
    int bucket;
    int64_t offset, numel;
  };
  struct Bucket {
    torch::Tensor buffer;              // flat, the parameters' dtype and device
    std::vector<size_t> parameters;    // indices into parameters_
    size_t ready = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };

  void build_buckets(const std::vector<size_t>& ready_order);
  std::vector<size_t> agreed_order();  // this step's ready order, completed, as rank 0 saw it
  void on_gradient(size_t index, const torch::Tensor& grad);
  void store_gradient(size_t index, const torch::Tensor& grad);
  void launch_ready_buckets(bool during_backward);  // in bucket order: every rank issues the same sequence

  DistGroup& group_;
  std::vector<torch::Tensor> parameters_;
  BucketSizes sizes_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;   // empty until the first step has shown the order
  std::vector<bool> seen_;
  std::vector<size_t> ready_order_;  // this step's hooks, in firing order
  size_t next_launch_ = 0;
  bool armed_ = false;
  std::vector<Launch> launches_;
  std::mutex mutex_;
  double last_wait_s_ = 0;
};

}  // namespace clipforge

// Forward and backward of one optimizer step's worth of data, for one process.
#pragma once

#include <torch/types.h>

#include <vector>

#include "model/clip.h"
#include "train/precision.h"

namespace clipforge {

class DistGroup;
class GradientSync;

// How a step reaches the other ranks; both null on a single process.
struct StepDistribution {
  DistGroup* group = nullptr;   // features are gathered with gradient: the loss sees the global batch
  GradientSync* sync = nullptr; // armed before the last backward, so buckets all-reduce during it
  // false: other ranks' gathered features are constants (only the own rows carry gradient), the
  // cheaper approximation OpenCLIP offers without --gather-with-grad.
  bool gather_with_grad = true;
};

// Accumulates into the parameters' .grad the gradient of the CLIP loss over the concatenation of
// the micro-batches `images[j]` / `tokens[j]`, and returns that loss (unscaled).
//
// One micro-batch is a plain forward and backward. With several (--accum-freq), the contrastive
// loss does not split into per-micro-batch terms, so, as in OpenCLIP, the features of every
// micro-batch are first computed without gradient; then each micro-batch is run again with
// gradient, its rows spliced into the cached features, and the whole-batch loss back-propagated
// through its rows only. logit_scale takes part live in the last pass alone, so its gradient
// is counted once: the sum equals the single large batch's gradient exactly.
//
// Distributed, each rank computes the loss of its own rows against the gathered global batch
// (OpenCLIP's --local-loss --gather-with-grad); averaged over ranks by the gradient sync, the
// gradient equals the single-process one on the concatenated batch. The loss returned is this
// rank's.
//
// `loss_scale` multiplies the loss before backward (fp16 loss scaling); bf16 runs under CPU or
// CUDA autocast.
double contrastive_backward(CLIP& model, const std::vector<torch::Tensor>& images,
                            const std::vector<torch::Tensor>& tokens, Precision precision, double loss_scale = 1.0,
                            const StepDistribution& distribution = {});

}  // namespace clipforge

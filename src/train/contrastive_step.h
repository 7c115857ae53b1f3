// Forward and backward of one optimizer step's worth of data, for one process.
#pragma once

#include <torch/types.h>

#include <vector>

#include "model/clip.h"
#include "train/train_config.h"

namespace clipforge {

// Accumulates into the parameters' .grad the gradient of the CLIP loss over the concatenation of
// the micro-batches `images[j]` / `tokens[j]`, and returns that loss (unscaled).
//
// One micro-batch is a plain forward and backward. With several (--accum-freq), the contrastive
// loss does not split into per-micro-batch terms, so, as in OpenCLIP, the features of every
// micro-batch are first computed without gradient; then each micro-batch is run again with
// gradient, its rows spliced into the cached features, and the whole-batch loss back-propagated
// through its rows only. logit_scale takes part live in the first pass alone, so its gradient
// is counted once: the sum equals the single large batch's gradient exactly.
//
// `loss_scale` multiplies the loss before backward (fp16 loss scaling); bf16 runs under CPU or
// CUDA autocast.
double contrastive_backward(CLIP& model, const std::vector<torch::Tensor>& images,
                            const std::vector<torch::Tensor>& tokens, Precision precision, double loss_scale = 1.0);

}  // namespace clipforge

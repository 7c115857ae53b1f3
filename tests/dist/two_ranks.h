// Two (or more) ranks as threads of this test process, talking Gloo over loopback, on copies of
// one model and slices of one batch.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "dist/process_group.h"
#include "model/clip.h"

namespace clipforge::testing {

// A global batch of random images and token rows, each row with its end-of-text id (the
// highest) somewhere in the first 10 positions.
struct GlobalBatch {
  torch::Tensor images, tokens;
};
std::vector<GlobalBatch> random_batches(const ModelConfig& config, int count, int batch_size);

// An independent model with `model`'s weights, in training mode.
CLIP copy_of(const CLIP& model);

// Runs body(rank, group) on `world` threads at once, each with its own Gloo group; rethrows the
// first rank's exception after all have ended.
void on_ranks(int world, const std::function<void(int rank, DistGroup& group)>& body);

}  // namespace clipforge::testing

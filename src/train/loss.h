// The symmetric InfoNCE loss of the CLIP paper.
#pragma once

#include <torch/types.h>

namespace clipforge {

// image_features, text_features: this process's L2-normalised rows [batch, dim]; `scale` is
// exp(logit_scale). all_image_features / all_text_features: the features of the whole global
// batch (every rank's rows, this rank's at rows [row_offset, row_offset + batch)), or undefined
// on a single process. Each rank scores its own rows against every column, so the gradient,
// averaged over ranks, equals that of the single-process loss on the concatenated batch.
torch::Tensor clip_loss(const torch::Tensor& image_features, const torch::Tensor& text_features,
                        const torch::Tensor& scale, const torch::Tensor& all_image_features = {},
                        const torch::Tensor& all_text_features = {}, int64_t row_offset = 0);

}  // namespace clipforge

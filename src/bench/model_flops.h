// Matmul and convolution FLOPs (2 per multiply-add) of one CLIP forward pass per sample,
// counted from the config. Training is taken as 3x forward (backward = 2x), the usual rule.
#pragma once

#include "model/config.h"

namespace clipforge::bench {

double image_forward_flops(const ModelConfig& config);
// For a caption of `tokens` positions (the text tower runs up to the end-of-text token).
double text_forward_flops(const ModelConfig& config, int tokens);

}  // namespace clipforge::bench

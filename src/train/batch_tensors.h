// A data::Batch (plain uint8 and int32 buffers) as model inputs on a device.
#pragma once

#include <torch/types.h>

#include "data/loader.h"

namespace clipforge {

struct BatchTensors {
  torch::Tensor images;  // [batch, 3, size, size] float32, CLIP-normalised
  torch::Tensor tokens;  // [batch, context] int64
};

// Normalises as the reference pipeline does ((x / 255 - mean) / std in float32). On CUDA the
// uint8 pixels travel (4x fewer bytes) from pinned memory and are normalised on the GPU.
BatchTensors to_tensors(const data::Batch& batch, int image_size, int context_length, const c10::Device& device);

}  // namespace clipforge

#include "train/batch_tensors.h"

#include <torch/torch.h>

namespace clipforge {

BatchTensors to_tensors(const data::Batch& batch, int image_size, int context_length, const c10::Device& device) {
  const int64_t n = batch.size;
  torch::Tensor pixels = torch::from_blob(const_cast<uint8_t*>(batch.images.data()), {n, 3, image_size, image_size},
                                          torch::kUInt8);
  torch::Tensor tokens = torch::from_blob(const_cast<int32_t*>(batch.tokens.data()), {n, context_length}, torch::kInt);
  if (device.is_cuda()) {
    pixels = pixels.pin_memory().to(device, /*non_blocking=*/true);
    tokens = tokens.pin_memory().to(device, /*non_blocking=*/true);
  }
  BatchTensors out;
  out.images = pixels.to(torch::kFloat).div_(255.0f);
  // Scalars per channel rather than mean/std tensors: nothing to copy to the GPU every batch.
  for (int64_t c = 0; c < 3; ++c) out.images.select(1, c).sub_(data::kClipMean[c]).div_(data::kClipStd[c]);
  out.tokens = tokens.to(torch::kLong);  // from_blob memory is the batch's: this copies it
  return out;
}

}  // namespace clipforge

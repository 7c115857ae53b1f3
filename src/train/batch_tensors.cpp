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
  auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
  torch::Tensor mean = torch::tensor({data::kClipMean[0], data::kClipMean[1], data::kClipMean[2]}, options).view({1, 3, 1, 1});
  torch::Tensor std = torch::tensor({data::kClipStd[0], data::kClipStd[1], data::kClipStd[2]}, options).view({1, 3, 1, 1});
  BatchTensors out;
  out.images = pixels.to(torch::kFloat).div_(255.0f).sub_(mean).div_(std);
  out.tokens = tokens.to(torch::kLong);  // from_blob memory is the batch's: this copies it
  return out;
}

}  // namespace clipforge

#include "train/loss.h"

#include <torch/nn/functional/loss.h>
#include <torch/torch.h>

namespace clipforge {

torch::Tensor clip_loss(const torch::Tensor& image_features, const torch::Tensor& text_features,
                        const torch::Tensor& scale, const torch::Tensor& all_image_features,
                        const torch::Tensor& all_text_features, int64_t row_offset) {
  const torch::Tensor& all_images = all_image_features.defined() ? all_image_features : image_features;
  const torch::Tensor& all_texts = all_text_features.defined() ? all_text_features : text_features;
  torch::Tensor logits_per_image = scale * torch::matmul(image_features, all_texts.t());  // [batch, global batch]
  torch::Tensor logits_per_text = scale * torch::matmul(text_features, all_images.t());   // [batch, global batch]
  torch::Tensor labels =
      torch::arange(row_offset, row_offset + image_features.size(0), torch::TensorOptions().dtype(torch::kLong).device(image_features.device()));
  // Softmax over a whole row in half precision loses the small differences that matter.
  auto wide = [](const torch::Tensor& t) { return t.element_size() < 4 ? t.to(torch::kFloat) : t; };
  namespace F = torch::nn::functional;
  return 0.5 * (F::cross_entropy(wide(logits_per_image), labels) + F::cross_entropy(wide(logits_per_text), labels));
}

}  // namespace clipforge

// CLIP's image tower ViT: patch embedding (a bias-free strided conv), a class token, learned
// positional embeddings, ln_pre, the transformer, ln_post on the class token, projection.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "model/config.h"
#include "model/transformer.h"

namespace clipforge {

class VisionTransformerImpl : public torch::nn::Module {
 public:
  VisionTransformerImpl(const VisionConfig& config, int64_t output_dim, bool quick_gelu);

  // images: [batch, 3, image_size, image_size] -> [batch, output_dim]
  torch::Tensor forward(const torch::Tensor& images);

  torch::Tensor class_embedding;       // [width]
  torch::Tensor positional_embedding;  // [1 + grid * grid, width]
  torch::Tensor proj;                  // [width, output_dim]
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::LayerNorm ln_pre{nullptr};
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_post{nullptr};
};
TORCH_MODULE(VisionTransformer);

}  // namespace clipforge

#include "model/vision_transformer.h"

#include <cmath>

namespace clipforge {

VisionTransformerImpl::VisionTransformerImpl(const VisionConfig& c, int64_t output_dim, bool quick_gelu) {
  const int64_t width = c.width;
  const int64_t grid = c.image_size / c.patch_size;
  // Parameters first, then children: registration order is state_dict order, which OpenAI's
  // checkpoints follow (class_embedding, positional_embedding, proj, conv1, ln_pre, ...).
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  class_embedding = register_parameter("class_embedding", scale * torch::randn({width}));
  positional_embedding = register_parameter("positional_embedding", scale * torch::randn({grid * grid + 1, width}));
  proj = register_parameter("proj", scale * torch::randn({width, output_dim}));
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, c.patch_size)
                                                         .stride(c.patch_size)
                                                         .bias(false)));
  ln_pre = register_module("ln_pre", make_layer_norm(width));
  TransformerOptions t;
  t.width = width;
  t.layers = c.layers.at(0);
  t.heads = c.heads();
  t.mlp_ratio = c.mlp_ratio;
  t.quick_gelu = quick_gelu;
  transformer = register_module("transformer", Transformer(t));
  ln_post = register_module("ln_post", make_layer_norm(width));
}

torch::Tensor VisionTransformerImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = conv1(images.to(conv1->weight.scalar_type()));  // [batch, width, grid, grid]
  x = x.flatten(2).transpose(1, 2);                                 // [batch, grid * grid, width]
  torch::Tensor cls = class_embedding.to(x.scalar_type()).expand({x.size(0), 1, x.size(2)});
  x = torch::cat({cls, x}, 1) + positional_embedding.to(x.scalar_type());  // [batch, 1 + grid * grid, width]
  x = layer_norm_fp32(ln_pre, x);
  x = transformer(x);
  x = layer_norm_fp32(ln_post, x.select(1, 0));  // [batch, width]
  return torch::matmul(x, proj);
}

}  // namespace clipforge

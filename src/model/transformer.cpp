#include "model/transformer.h"

#include <torch/nn/functional/normalization.h>

namespace clipforge {

torch::nn::LayerNorm make_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5));
}

torch::Tensor layer_norm_fp32(torch::nn::LayerNorm ln, const torch::Tensor& x) {
  if (x.scalar_type() == torch::kFloat) return ln(x);
  namespace F = torch::nn::functional;
  torch::Tensor y = F::layer_norm(x.to(torch::kFloat), F::LayerNormFuncOptions({x.size(-1)})
                                                         .weight(ln->weight.to(torch::kFloat))
                                                         .bias(ln->bias.to(torch::kFloat))
                                                         .eps(ln->options.eps()));
  return y.to(x.scalar_type());
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden, bool quick_gelu) : quick_gelu_(quick_gelu) {
  c_fc = register_module("c_fc", torch::nn::Linear(width, hidden));
  c_proj = register_module("c_proj", torch::nn::Linear(hidden, width));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = c_fc(x);
  h = quick_gelu_ ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
  return c_proj(h);
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(const TransformerOptions& o) {
  attn = register_module("attn", SelfAttention(o.width, o.heads));
  ln_1 = register_module("ln_1", make_layer_norm(o.width));
  mlp = register_module("mlp", Mlp(o.width, static_cast<int64_t>(o.width * o.mlp_ratio), o.quick_gelu));
  ln_2 = register_module("ln_2", make_layer_norm(o.width));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor h = x + attn(layer_norm_fp32(ln_1, x), mask);
  return h + mlp(layer_norm_fp32(ln_2, h));
}

TransformerImpl::TransformerImpl(const TransformerOptions& o) : options(o) {
  resblocks = register_module("resblocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.layers; ++i) resblocks->push_back(ResidualAttentionBlock(o));
}

std::vector<ResidualAttentionBlock> TransformerImpl::blocks() const {
  std::vector<ResidualAttentionBlock> out;
  for (const auto& m : *resblocks) out.emplace_back(std::dynamic_pointer_cast<ResidualAttentionBlockImpl>(m));
  return out;
}

torch::Tensor TransformerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor h = x;
  for (auto& block : blocks()) h = block(h, mask);
  return h;
}

}  // namespace clipforge

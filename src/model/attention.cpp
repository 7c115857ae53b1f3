#include "model/attention.h"

#include <torch/nn/functional/linear.h>
#include <torch/nn/init.h>
#include <torch/version.h>

#include <cmath>

namespace clipforge {

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads) : heads_(heads) {
  TORCH_CHECK(width % heads == 0, "attention width ", width, " is not divisible by ", heads, " heads");
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
  // torch.nn.MultiheadAttention's own initialisation, which CLIP keeps for the vision tower.
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj->bias.zero_();
}

torch::Tensor scaled_dot_product(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 const torch::Tensor& mask) {
#if TORCH_VERSION_MAJOR >= 2
  // Fused kernels (flash / memory-efficient attention on CUDA) where LibTorch has them.
  return at::scaled_dot_product_attention(q, k, v, mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt);
#else
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  torch::Tensor scores = torch::matmul(q * scale, k.transpose(-2, -1));  // [batch, heads, q_tokens, k_tokens]
  if (mask.defined()) scores = scores + mask;
  return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t batch = x.size(0), tokens = x.size(1), width = x.size(2);
  const int64_t head_dim = width / heads_;
  torch::Tensor qkv = torch::nn::functional::linear(x, in_proj_weight, in_proj_bias);  // [batch, tokens, 3 * width]
  qkv = qkv.view({batch, tokens, 3, heads_, head_dim}).permute({2, 0, 3, 1, 4});    // [3, batch, heads, tokens, head_dim]
  torch::Tensor out = scaled_dot_product(qkv[0], qkv[1], qkv[2], mask);            // [batch, heads, tokens, head_dim]
  out = out.transpose(1, 2).reshape({batch, tokens, width});
  return out_proj(out);
}

}  // namespace clipforge

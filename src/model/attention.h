// Multi-head self-attention with the parameter layout of torch.nn.MultiheadAttention, which is
// what OpenAI and OpenCLIP checkpoints store: one stacked `in_proj_weight` (q rows, then k, then
// v) and an `out_proj` linear.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace clipforge {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t width, int64_t heads);

  // x: [batch, tokens, width]; mask: additive [tokens, tokens] (e.g. causal) or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask = {});

  torch::Tensor in_proj_weight;  // [3 * width, width]
  torch::Tensor in_proj_bias;    // [3 * width]
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(SelfAttention);

// softmax(q k^T / sqrt(head_dim) + mask) v over [batch, heads, tokens, head_dim] tensors.
// Shared by the transformer blocks and the ResNet attention pool.
torch::Tensor scaled_dot_product(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 const torch::Tensor& mask);

}  // namespace clipforge

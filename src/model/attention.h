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

  // x: [batch, tokens, width]; `causal`: each token attends only to itself and earlier ones.
  torch::Tensor forward(const torch::Tensor& x, bool causal = false);

  torch::Tensor in_proj_weight;  // [3 * width, width]
  torch::Tensor in_proj_bias;    // [3 * width]
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(SelfAttention);

}  // namespace clipforge

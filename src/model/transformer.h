// The pre-norm transformer shared by both CLIP towers: blocks of
//   x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))
// with OpenAI's child names (attn, ln_1, mlp.c_fc, mlp.c_proj, ln_2, resblocks.N).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "model/attention.h"

namespace clipforge {

struct TransformerOptions {
  int64_t width = 512;
  int64_t layers = 12;
  int64_t heads = 8;
  double mlp_ratio = 4.0;
  bool quick_gelu = false;  // OpenAI's models use x * sigmoid(1.702 x); OpenCLIP's own default is GELU
};

// LayerNorm with CLIP's eps; CLIP computes it in float32 even when the tower runs in half
// precision, which keeps bf16/fp16 runs close to fp32 ones.
torch::nn::LayerNorm make_layer_norm(int64_t width);
torch::Tensor layer_norm_fp32(torch::nn::LayerNorm ln, const torch::Tensor& x);

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden, bool quick_gelu);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear c_fc{nullptr};
  torch::nn::Linear c_proj{nullptr};

 private:
  bool quick_gelu_;
};
TORCH_MODULE(Mlp);

class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualAttentionBlockImpl(const TransformerOptions& options);
  torch::Tensor forward(const torch::Tensor& x, bool causal = false);

  SelfAttention attn{nullptr};
  torch::nn::LayerNorm ln_1{nullptr};
  Mlp mlp{nullptr};
  torch::nn::LayerNorm ln_2{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

class TransformerImpl : public torch::nn::Module {
 public:
  explicit TransformerImpl(const TransformerOptions& options);

  // x: [batch, tokens, width]; `causal` as SelfAttention's.
  torch::Tensor forward(const torch::Tensor& x, bool causal = false);

  std::vector<ResidualAttentionBlock> blocks() const;

  // With checkpointing on, training keeps only each block's input and recomputes the block in
  // backward: one extra forward for far less activation memory (larger batches, more negatives).
  void set_grad_checkpointing(bool enabled) { grad_checkpointing_ = enabled; }

  torch::nn::ModuleList resblocks{nullptr};
  TransformerOptions options;

 private:
  bool grad_checkpointing_ = false;
};
TORCH_MODULE(Transformer);

}  // namespace clipforge

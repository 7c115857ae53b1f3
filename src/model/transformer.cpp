#include "model/transformer.h"

#include <torch/autograd.h>
#include <torch/nn/functional/normalization.h>

#include "model/linear.h"
#include "model/torch_compat.h"

namespace clipforge {
namespace {

// Runs a block without recording its graph and replays it in backward. The block is owned by
// the model, which outlives every backward pass, so a raw pointer in the context is safe.
class CheckpointedBlock : public torch::autograd::Function<CheckpointedBlock> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, bool causal,
                               ResidualAttentionBlockImpl* block) {
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["causal"] = causal;
    // Backward runs outside the caller's autocast region, on CPU and CUDA alike: remember it to
    // replay the same math (bf16 activations against fp32 weights otherwise).
    const AutocastState autocast = AutocastState::current();
    ctx->saved_data["autocast_cpu"] = autocast.cpu;
    ctx->saved_data["autocast_cuda"] = autocast.cuda;
    ctx->saved_data["autocast_cpu_dtype"] = static_cast<int64_t>(autocast.cpu_dtype);
    ctx->saved_data["autocast_cuda_dtype"] = static_cast<int64_t>(autocast.cuda_dtype);
    ctx->save_for_backward({x});
    torch::NoGradGuard no_grad;
    return block->forward(x, causal);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    auto* block = reinterpret_cast<ResidualAttentionBlockImpl*>(ctx->saved_data["block"].toInt());
    torch::Tensor x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    torch::Tensor y;
    {
      torch::AutoGradMode enable(true);
      const AutocastState previous = AutocastState::current();
      AutocastState forward_state;
      forward_state.cpu = ctx->saved_data["autocast_cpu"].toBool();
      forward_state.cuda = ctx->saved_data["autocast_cuda"].toBool();
      forward_state.cpu_dtype = static_cast<c10::ScalarType>(ctx->saved_data["autocast_cpu_dtype"].toInt());
      forward_state.cuda_dtype = static_cast<c10::ScalarType>(ctx->saved_data["autocast_cuda_dtype"].toInt());
      forward_state.apply();
      y = block->forward(x, ctx->saved_data["causal"].toBool());
      previous.apply();
    }
    // Parameters get their gradients accumulated here, as PyTorch's re-entrant checkpoint does.
    torch::autograd::backward({y}, {grad_output[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

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
  torch::Tensor h = linear(x, c_fc);
  h = quick_gelu_ ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
  return linear(h, c_proj);
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(const TransformerOptions& o) {
  attn = register_module("attn", SelfAttention(o.width, o.heads));
  ln_1 = register_module("ln_1", make_layer_norm(o.width));
  mlp = register_module("mlp", Mlp(o.width, static_cast<int64_t>(o.width * o.mlp_ratio), o.quick_gelu));
  ln_2 = register_module("ln_2", make_layer_norm(o.width));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x, bool causal) {
  torch::Tensor h = x + attn(layer_norm_fp32(ln_1, x), causal);
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

torch::Tensor TransformerImpl::forward(const torch::Tensor& x, bool causal) {
  torch::Tensor h = x;
  const bool checkpoint = grad_checkpointing_ && is_training() && torch::GradMode::is_enabled();
  for (auto& block : blocks()) h = checkpoint ? CheckpointedBlock::apply(h, causal, block.get()) : block(h, causal);
  return h;
}

}  // namespace clipforge

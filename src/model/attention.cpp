#include "model/attention.h"

#include <torch/autograd.h>
#include <torch/nn/init.h>

#include <cmath>

#include "model/cpu_matmul.h"
#include "model/linear.h"
#include "model/torch_compat.h"

namespace clipforge {
namespace {

// q, k or v of a [batch, tokens, 3 * width] projection as a [batch, heads, tokens, head_dim] view.
torch::Tensor qkv_part(const torch::Tensor& qkv, int64_t part, int64_t heads) {
  const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
  return qkv.view({batch, tokens, 3, heads, width / heads}).select(2, part).permute({0, 2, 1, 3});
}

// The 1/sqrt(head_dim) that scales q k^T.
double attention_scale(int64_t head_dim) { return 1.0 / std::sqrt(static_cast<double>(head_dim)); }

// [batch, tokens, width] seen as [batch, heads, tokens, head_dim].
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).permute({0, 2, 1, 3});
}

// The attention core on the CPU kernels, from the fused projection to the merged heads. The
// products read q, k and v in place and write straight into the output's and the gradient's
// [batch, tokens, ...] layout, where ATen's path copies every operand to contiguous memory first.
class CpuAttention : public torch::autograd::Function<CpuAttention> {
 public:
  // qkv: [batch, tokens, 3 * width], contiguous.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv, bool causal,
                               int64_t heads) {
    const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
    const auto scale = static_cast<float>(attention_scale(width / heads));
    torch::Tensor scores = torch::empty({batch, heads, tokens, tokens}, qkv.options());
    matmul_into(qkv_part(qkv, 0, heads), qkv_part(qkv, 1, heads).transpose(-2, -1), scores, scale);
    if (causal) mask_later_keys_(scores);
    torch::Tensor probs = torch::softmax(scores, -1);
    torch::Tensor out = torch::empty({batch, tokens, width}, qkv.options());
    matmul_into(probs, qkv_part(qkv, 2, heads), split_heads(out, heads));
    ctx->save_for_backward({qkv, probs});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = static_cast<double>(scale);
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& qkv = saved[0];
    const torch::Tensor& probs = saved[1];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const torch::Tensor grad_out = split_heads(grad_output[0].contiguous(), heads);
    torch::Tensor grad_qkv = torch::empty_like(qkv);
    // out = P v: dP = dout v^T, dv = P^T dout
    torch::Tensor grad_probs = torch::empty_like(probs);
    matmul_into(grad_out, qkv_part(qkv, 2, heads).transpose(-2, -1), grad_probs);
    matmul_into(probs.transpose(-2, -1), grad_out, qkv_part(grad_qkv, 2, heads));
    // scores = scale q k^T: dq = scale dS k, dk = scale dS^T q
    const torch::Tensor grad_scores = torch::_softmax_backward_data(grad_probs, probs, -1, probs.scalar_type());
    matmul_into(grad_scores, qkv_part(qkv, 1, heads), qkv_part(grad_qkv, 0, heads), scale);
    matmul_into(grad_scores.transpose(-2, -1), qkv_part(qkv, 0, heads), qkv_part(grad_qkv, 1, heads), scale);
    return {grad_qkv, torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

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

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, bool causal) {
  const torch::Tensor qkv = linear(x, in_proj_weight, in_proj_bias);  // [batch, tokens, 3 * width]
  torch::Tensor out;
  if (cpu_kernels_apply(qkv)) {
    out = CpuAttention::apply(qkv.contiguous(), causal, heads_);
  } else {
    out = attention(qkv_part(qkv, 0, heads_), qkv_part(qkv, 1, heads_), qkv_part(qkv, 2, heads_), causal);
    out = out.transpose(1, 2).reshape({x.size(0), x.size(1), x.size(2)});
  }
  return linear(out, out_proj);
}

}  // namespace clipforge

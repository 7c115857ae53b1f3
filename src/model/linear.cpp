#include "model/linear.h"

#include <torch/autograd.h>
#include <torch/nn/functional/linear.h>

#include "model/cpu_matmul.h"

namespace clipforge {
namespace {

std::vector<int64_t> with_last_dim(at::IntArrayRef sizes, int64_t last) {
  std::vector<int64_t> out = sizes.vec();
  out.back() = last;
  return out;
}

class CpuLinear : public torch::autograd::Function<CpuLinear> {
 public:
  // `bias` is empty for none: LibTorch 1.13's Function::apply cannot take an undefined tensor.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias) {
    const int64_t in = weight.size(1), out = weight.size(0);
    TORCH_CHECK(x.size(-1) == in, "linear: input ", x.sizes(), " does not match weight ", weight.sizes());
    const bool has_bias = bias.numel() > 0;
    const torch::Tensor rows = x.reshape({-1, in}).contiguous();
    torch::Tensor y = torch::empty({rows.size(0), out}, x.options());
    // Starting from the bias and accumulating (beta = 1) saves a separate pass to add it.
    if (has_bias) y.copy_(bias.expand_as(y));
    matmul_into(rows, weight.t(), y, 1.0f, has_bias ? 1.0f : 0.0f);
    ctx->save_for_backward({rows, weight});
    ctx->saved_data["has_bias"] = has_bias;
    return y.view(with_last_dim(x.sizes(), out));
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& rows = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor grad = grad_output[0].reshape({-1, weight.size(0)}).contiguous();
    torch::Tensor grad_x, grad_weight, grad_bias;
    if (ctx->needs_input_grad(0)) {
      grad_x = torch::empty_like(rows);
      matmul_into(grad, weight, grad_x);
      grad_x = grad_x.view(with_last_dim(grad_output[0].sizes(), weight.size(1)));
    }
    if (ctx->needs_input_grad(1)) {
      grad_weight = torch::empty_like(weight);
      matmul_into(grad.t(), rows, grad_weight);
    }
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) grad_bias = grad.sum(0);
    return {grad_x, grad_weight, grad_bias};
  }
};

}  // namespace

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  if (cpu_kernels_apply(x) && cpu_kernels_apply(weight) && (!bias.defined() || cpu_kernels_apply(bias)))
    return CpuLinear::apply(x, weight, bias.defined() ? bias : torch::empty({0}, x.options()));
  return torch::nn::functional::linear(x, weight, bias);
}

torch::Tensor linear(const torch::Tensor& x, const torch::nn::Linear& layer) {
  return linear(x, layer->weight, layer->bias);
}

}  // namespace clipforge

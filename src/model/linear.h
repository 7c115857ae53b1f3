// y = x W^T + b, as torch::nn::functional::linear, with its own CPU kernel (model/cpu_matmul.h)
// where that applies. The modules keep their torch::nn::Linear children, so parameter names stay
// the checkpoint keys; only the call goes through here.
#pragma once

#include <torch/nn/modules/linear.h>
#include <torch/types.h>

namespace clipforge {

// x: [..., in]; weight: [out, in]; bias: [out] or undefined.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// The same with a torch::nn::Linear's parameters: what calling the module would compute.
torch::Tensor linear(const torch::Tensor& x, const torch::nn::Linear& layer);

}  // namespace clipforge

// State dicts as PyTorch orders them, and strict loading that reports every problem at once.
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace clipforge {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// Parameters and buffers with their dotted names, in PyTorch's state_dict order: each module's
// parameters, then its buffers, then its children depth-first.
NamedTensors state_dict(const torch::nn::Module& module);

// Copies `tensors` into the module's parameters and buffers. Strict: a missing key, an
// unexpected key or a shape mismatch is a mismatch_error listing all of them, naming `source`.
// Floating-point values are converted to each parameter's dtype.
void load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source);

std::string shape_string(const torch::IntArrayRef& sizes);

}  // namespace clipforge

// A model config recovered from the tensor shapes of a checkpoint, as OpenAI's loader does, so
// released weights work without a config file.
#pragma once

#include <map>
#include <string>

#include <torch/types.h>

#include "model/config.h"

namespace clipforge {

// Text heads are inferred as width / 64 and QuickGELU is assumed (both true of every released
// OpenAI model); an explicit config overrides both. Throws mismatch_error naming the missing key.
ModelConfig infer_model_config(const std::map<std::string, torch::Tensor>& tensors, const std::string& source);

}  // namespace clipforge

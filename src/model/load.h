// Building a CLIP model from a config and/or a weights file, and saving one.
//
//   LoadedModel m = load_model({.model = "ViT-B-32", .weights = "ViT-B-32.pt"});
//   LoadedModel m = load_model({.weights = "trained.safetensors"});   // config from metadata
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/clip.h"

namespace clipforge {

struct ModelSource {
  std::string model;    // config name or .json path; empty: from the weights
  std::string weights;  // .safetensors, TorchScript .pt or torch.save checkpoint; empty: random init
};

struct LoadedModel {
  ModelConfig config;
  CLIP model{nullptr};
  std::vector<std::string> notes;  // decisions worth telling the user (e.g. config inferred)
};

// Config precedence: explicit `model`, else the safetensors metadata, else inferred from the
// tensor shapes. Loading is strict (see load_state_dict). The model is returned in eval mode.
LoadedModel load_model(const ModelSource& source);

// Every tensor of a weights file by name, plus the config stored in its metadata, if any.
struct WeightsFile {
  std::map<std::string, torch::Tensor> tensors;
  std::string config_json;   // "model_config" metadata of safetensors written by clipforge
  bool openai_archive = false;
};
WeightsFile read_weights(const std::string& path);

// Weights as safetensors with the model config in the metadata, so the file describes itself.
// `dtype` converts floating-point tensors (e.g. kHalf to halve the file); integers stay as they are.
void save_model(const std::string& path, const CLIP& model, torch::ScalarType dtype = torch::kFloat);

// The metadata key holding the OpenCLIP-schema model config as JSON text.
inline constexpr const char* kConfigMetadataKey = "model_config";

}  // namespace clipforge

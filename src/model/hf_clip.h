// Hugging Face transformers' CLIPModel layout: its config.json and its state dict names, both
// ways. Only ViT image towers exist there (no ModifiedResNet).
//
//   write_hf_clip("out/", model, torch::kFloat);   // config.json + model.safetensors
//   LoadedModel m = load_model({"", "out/"});       // a folder with config.json reads back
//
// Layout differences handled here: one fused attention input projection (in_proj_weight, [3w, w])
// is three (q_proj, k_proj, v_proj); the two output projections are transposed nn.Linear weights
// (visual_projection.weight = visual.proj^T); everything else is a rename.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "model/clip.h"
#include "model/config.h"
#include "model/state_dict.h"

namespace clipforge {

// CLIPConfig's JSON for `config`, given the tokenizer's start/end-of-text ids (HF pools the text
// at the first end-of-text token). Throws mismatch_error for a ModifiedResNet.
nlohmann::json hf_clip_config(const ModelConfig& config, int start_of_text, int end_of_text);
// The clipforge config a CLIPConfig describes; errors name `source` and the key.
ModelConfig model_config_from_hf(const nlohmann::json& json, const std::string& source);

// OpenCLIP/clipforge names -> HF names, and back (throws mismatch_error naming a tensor it does not know).
std::map<std::string, torch::Tensor> to_hf_state_dict(const NamedTensors& tensors, const ModelConfig& config);
std::map<std::string, torch::Tensor> from_hf_state_dict(const std::map<std::string, torch::Tensor>& tensors,
                                                        const ModelConfig& config, const std::string& source);

// Writes DIR/config.json and DIR/model.safetensors (floating point as `dtype`).
void write_hf_clip(const std::string& dir, const CLIP& model, torch::ScalarType dtype, int start_of_text, int end_of_text);

}  // namespace clipforge

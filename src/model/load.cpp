#include "model/load.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"
#include "model/config_infer.h"
#include "model/hf_clip.h"
#include "model/safetensors.h"
#include "model/torchscript.h"

namespace clipforge {
namespace {

bool is_zip_archive(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path + ": cannot open weights file");
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

// A Hugging Face CLIPModel folder: config.json describes the model (it becomes the weights'
// config, as a clipforge file's metadata would), model.safetensors holds it under HF's names.
WeightsFile read_hf_folder(const std::string& dir) {
  const std::string config_path = dir + "/config.json", weights_path = dir + "/model.safetensors";
  if (!file_exists(config_path)) throw input_error(dir + ": a folder of weights needs config.json (Hugging Face's layout)");
  const ModelConfig config = model_config_from_hf(read_json_file(config_path), config_path);
  if (!file_exists(weights_path)) throw input_error(weights_path + ": not found (only safetensors weights are read)");
  SafetensorsFile file = read_safetensors(weights_path);
  WeightsFile out;
  out.tensors = from_hf_state_dict({file.tensors.begin(), file.tensors.end()}, config, weights_path);
  out.config_json = model_config_to_json(config).dump();
  return out;
}

}  // namespace

WeightsFile read_weights(const std::string& path) {
  if (std::filesystem::is_directory(path)) return read_hf_folder(path);
  WeightsFile out;
  if (is_zip_archive(path)) {
    ArchiveWeights archive = read_pytorch_archive(path);
    out.tensors = std::move(archive.tensors);
    out.openai_archive = archive.torchscript;
    return out;
  }
  SafetensorsFile file = read_safetensors(path);
  for (auto& [name, tensor] : file.tensors) out.tensors[name] = std::move(tensor);
  auto it = file.metadata.find(kConfigMetadataKey);
  if (it != file.metadata.end()) out.config_json = it->second;
  return out;
}

LoadedModel load_model(const ModelSource& source) {
  LoadedModel out;
  if (source.weights.empty()) {
    if (source.model.empty()) throw usage_error("give a model config (--model) or weights (--weights)");
    out.config = load_model_config(source.model);
    out.model = CLIP(out.config);
    out.model->eval();
    out.notes.push_back("no weights given: randomly initialised " + source.model);
    return out;
  }

  // A bad config is found before a large weights file is read.
  if (!source.model.empty()) out.config = load_model_config(source.model);
  WeightsFile weights = read_weights(source.weights);
  if (source.model.empty() && !weights.config_json.empty()) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(weights.config_json);
    } catch (const nlohmann::json::exception&) {
      throw input_error(source.weights + ": metadata '" + kConfigMetadataKey + "' is not valid JSON");
    }
    out.config = parse_model_config(j, source.weights + " metadata");
  } else if (source.model.empty()) {
    out.config = infer_model_config(weights.tensors, source.weights);
    out.notes.push_back("model config inferred from the tensor shapes of " + source.weights +
                        " (text heads = width / 64, QuickGELU); pass --model to override");
  }
  // OpenAI's released models all use QuickGELU, whatever an OpenCLIP config says; OpenCLIP
  // forces it the same way when it loads OpenAI weights.
  if (weights.openai_archive && !out.config.quick_gelu) {
    out.config.quick_gelu = true;
    out.notes.push_back("TorchScript weights are OpenAI's architecture: using QuickGELU");
  }
  out.model = CLIP(out.config);
  load_state_dict(*out.model, weights.tensors, source.weights);
  out.model->eval();
  return out;
}

void save_model(const std::string& path, const CLIP& model, torch::ScalarType dtype) {
  NamedTensors tensors = state_dict(*model);
  for (auto& entry : tensors)
    if (entry.second.is_floating_point()) entry.second = entry.second.to(dtype);
  write_safetensors(path, tensors,
                    {{"format", "pt"}, {kConfigMetadataKey, model_config_to_json(model->config()).dump()}});
}

}  // namespace clipforge

// Model configuration in OpenCLIP's model-config schema, parsed and validated once at the edge
// into plain structs. The towers only ever see these structs.
//
//   ModelConfig cfg = load_model_config("ViT-B-32");            // models/ViT-B-32.json
//   ModelConfig cfg = parse_model_config(json, "my.json");      // from any JSON object
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace clipforge {

struct VisionConfig {
  int image_size = 224;
  // ViT: one entry (the number of transformer blocks). ModifiedResNet: four entries (blocks
  // per stage), which is how OpenCLIP tells the two apart ("layers": 12 vs [3, 4, 6, 3]).
  std::vector<int> layers;
  int width = 768;
  int patch_size = 0;  // ViT only
  int head_width = 64;
  double mlp_ratio = 4.0;

  bool is_resnet() const { return layers.size() == 4; }
  int heads() const { return is_resnet() ? width * 32 / head_width : width / head_width; }
};

struct TextConfig {
  int context_length = 77;
  int vocab_size = 49408;
  int width = 512;
  int heads = 8;
  int layers = 12;
  double mlp_ratio = 4.0;
};

struct ModelConfig {
  int embed_dim = 512;
  bool quick_gelu = false;
  VisionConfig vision;
  TextConfig text;
};

// Validates every key and value; `source` names the file (or "metadata of X") in errors.
// Unknown keys and OpenCLIP features clipforge does not implement are errors naming the key.
ModelConfig parse_model_config(const nlohmann::json& json, const std::string& source);
nlohmann::json model_config_to_json(const ModelConfig& config);

// `name_or_path`: a file path (anything ending in .json or containing '/'), else a name looked
// up as <models dir>/<name>.json. The models dir is $CLIPFORGE_MODELS_DIR, else the source tree's.
ModelConfig load_model_config(const std::string& name_or_path);
std::string models_dir();
std::vector<std::string> available_model_names();

}  // namespace clipforge

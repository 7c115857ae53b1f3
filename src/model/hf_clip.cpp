#include "model/hf_clip.h"

#include <filesystem>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "model/safetensors.h"

namespace clipforge {
namespace {

// Per transformer block: clipforge suffix -> HF suffix (the fused attention projection apart).
const std::vector<std::pair<std::string, std::string>> kBlockNames = {
    {"ln_1.weight", "layer_norm1.weight"},       {"ln_1.bias", "layer_norm1.bias"},
    {"ln_2.weight", "layer_norm2.weight"},       {"ln_2.bias", "layer_norm2.bias"},
    {"attn.out_proj.weight", "self_attn.out_proj.weight"}, {"attn.out_proj.bias", "self_attn.out_proj.bias"},
    {"mlp.c_fc.weight", "mlp.fc1.weight"},       {"mlp.c_fc.bias", "mlp.fc1.bias"},
    {"mlp.c_proj.weight", "mlp.fc2.weight"},     {"mlp.c_proj.bias", "mlp.fc2.bias"},
};

// Outside the blocks: clipforge name -> HF name, with whether the tensor is transposed.
struct TopName {
  std::string ours, theirs;
  bool transposed = false;
};
const std::vector<TopName> kTopNames = {
    {"logit_scale", "logit_scale"},
    {"token_embedding.weight", "text_model.embeddings.token_embedding.weight"},
    {"positional_embedding", "text_model.embeddings.position_embedding.weight"},
    {"ln_final.weight", "text_model.final_layer_norm.weight"},
    {"ln_final.bias", "text_model.final_layer_norm.bias"},
    {"text_projection", "text_projection.weight", true},
    {"visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight"},
    {"visual.class_embedding", "vision_model.embeddings.class_embedding"},
    {"visual.positional_embedding", "vision_model.embeddings.position_embedding.weight"},
    {"visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"},  // sic: HF's spelling
    {"visual.ln_pre.bias", "vision_model.pre_layrnorm.bias"},
    {"visual.ln_post.weight", "vision_model.post_layernorm.weight"},
    {"visual.ln_post.bias", "vision_model.post_layernorm.bias"},
    {"visual.proj", "visual_projection.weight", true},
};

// One clipforge tensor and the HF tensors it is: one, or the q/k/v thirds of a fused attention
// projection (split along dim 0); `transposed` for the output projections.
struct Correspondence {
  std::string ours;
  std::vector<std::string> theirs;
  bool transposed = false;
};

std::vector<Correspondence> correspondences(const ModelConfig& c) {
  std::vector<Correspondence> out;
  for (const TopName& n : kTopNames) out.push_back({n.ours, {n.theirs}, n.transposed});
  const std::pair<std::string, std::string> tower_prefixes[] = {
      {"transformer.resblocks.", "text_model.encoder.layers."},
      {"visual.transformer.resblocks.", "vision_model.encoder.layers."}};
  const int tower_layers[] = {c.text.layers, c.vision.layers.at(0)};
  for (int t = 0; t < 2; ++t) {
    for (int i = 0; i < tower_layers[t]; ++i) {
      const std::string ours = tower_prefixes[t].first + std::to_string(i) + ".";
      const std::string theirs = tower_prefixes[t].second + std::to_string(i) + ".";
      for (const auto& [suffix, hf] : kBlockNames) out.push_back({ours + suffix, {theirs + hf}});
      for (const std::string kind : {"weight", "bias"}) {
        out.push_back({ours + "attn.in_proj_" + kind,
                       {theirs + "self_attn.q_proj." + kind, theirs + "self_attn.k_proj." + kind,
                        theirs + "self_attn.v_proj." + kind}});
      }
    }
  }
  return out;
}

// Removes and returns tensors[name]; `missing` starts the error when there is none.
torch::Tensor take(std::map<std::string, torch::Tensor>& tensors, const std::string& name, const std::string& missing) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw mismatch_error(missing + " '" + name + "'");
  torch::Tensor t = it->second;
  tensors.erase(it);
  return t;
}

void require_vit(const ModelConfig& c) {
  if (c.vision.is_resnet())
    throw mismatch_error("Hugging Face's CLIPModel has no ModifiedResNet image tower: only ViT models convert");
}

const nlohmann::json& key(const nlohmann::json& object, const std::string& name, const std::string& where) {
  if (!object.is_object() || !object.contains(name)) throw input_error(where + ": missing key '" + name + "'");
  return object.at(name);
}

int positive(const nlohmann::json& object, const std::string& name, const std::string& where) {
  const nlohmann::json& value = key(object, name, where);
  if (!value.is_number_integer() || value.get<long long>() <= 0)
    throw input_error(where + "." + name + ": expected a positive integer, got " + value.dump());
  return value.get<int>();
}

std::string hidden_act(bool quick_gelu) { return quick_gelu ? "quick_gelu" : "gelu"; }

}  // namespace

nlohmann::json hf_clip_config(const ModelConfig& c, int start_of_text, int end_of_text) {
  require_vit(c);
  const auto intermediate = [](int width, double ratio) { return static_cast<int>(width * ratio); };
  return {{"architectures", nlohmann::json::array({"CLIPModel"})},
          {"model_type", "clip"},
          {"projection_dim", c.embed_dim},
          {"logit_scale_init_value", 2.6592},
          {"text_config",
           {{"model_type", "clip_text_model"}, {"vocab_size", c.text.vocab_size}, {"hidden_size", c.text.width},
            {"intermediate_size", intermediate(c.text.width, c.text.mlp_ratio)}, {"num_hidden_layers", c.text.layers},
            {"num_attention_heads", c.text.heads}, {"max_position_embeddings", c.text.context_length},
            {"hidden_act", hidden_act(c.quick_gelu)}, {"layer_norm_eps", 1e-5}, {"projection_dim", c.embed_dim},
            // HF's tokenizer pads with <|endoftext|>, as OpenAI's released folders do.
            {"bos_token_id", start_of_text}, {"eos_token_id", end_of_text}, {"pad_token_id", end_of_text}}},
          {"vision_config",
           {{"model_type", "clip_vision_model"}, {"hidden_size", c.vision.width},
            {"intermediate_size", intermediate(c.vision.width, c.vision.mlp_ratio)},
            {"num_hidden_layers", c.vision.layers.at(0)}, {"num_attention_heads", c.vision.heads()},
            {"image_size", c.vision.image_size}, {"patch_size", c.vision.patch_size}, {"num_channels", 3},
            {"hidden_act", hidden_act(c.quick_gelu)}, {"layer_norm_eps", 1e-5}, {"projection_dim", c.embed_dim}}}};
}

ModelConfig model_config_from_hf(const nlohmann::json& json, const std::string& source) {
  const nlohmann::json& text = key(json, "text_config", source);
  const nlohmann::json& vision = key(json, "vision_config", source);
  const std::string text_where = source + ": text_config", vision_where = source + ": vision_config";
  const std::string text_act = text.value("hidden_act", "quick_gelu"), vision_act = vision.value("hidden_act", "quick_gelu");
  if (text_act != vision_act || (text_act != "gelu" && text_act != "quick_gelu"))
    throw mismatch_error(source + ": hidden_act '" + text_act + "' (text) and '" + vision_act +
                         "' (vision): clipforge needs both gelu or both quick_gelu");
  ModelConfig c;
  c.quick_gelu = text_act == "quick_gelu";
  c.embed_dim = positive(json, "projection_dim", source);
  c.text.vocab_size = positive(text, "vocab_size", text_where);
  c.text.width = positive(text, "hidden_size", text_where);
  c.text.mlp_ratio = static_cast<double>(positive(text, "intermediate_size", text_where)) / c.text.width;
  c.text.layers = positive(text, "num_hidden_layers", text_where);
  c.text.heads = positive(text, "num_attention_heads", text_where);
  c.text.context_length = positive(text, "max_position_embeddings", text_where);
  c.vision.width = positive(vision, "hidden_size", vision_where);
  c.vision.mlp_ratio = static_cast<double>(positive(vision, "intermediate_size", vision_where)) / c.vision.width;
  c.vision.layers = {positive(vision, "num_hidden_layers", vision_where)};
  const int heads = positive(vision, "num_attention_heads", vision_where);
  if (c.vision.width % heads != 0)
    throw input_error(vision_where + ".num_attention_heads: " + std::to_string(heads) + " does not divide hidden_size " +
                      std::to_string(c.vision.width));
  c.vision.head_width = c.vision.width / heads;
  c.vision.image_size = positive(vision, "image_size", vision_where);
  c.vision.patch_size = positive(vision, "patch_size", vision_where);
  // Through clipforge's own parser, so an HF config gets the same checks as a written one.
  return parse_model_config(model_config_to_json(c), source);
}

std::map<std::string, torch::Tensor> to_hf_state_dict(const NamedTensors& tensors, const ModelConfig& config) {
  require_vit(config);
  std::map<std::string, torch::Tensor> ours(tensors.begin(), tensors.end());
  std::map<std::string, torch::Tensor> out;
  for (const Correspondence& c : correspondences(config)) {
    torch::Tensor t = take(ours, c.ours, "no tensor to convert named");
    if (c.transposed) t = t.t();
    if (c.theirs.size() == 1) {
      out[c.theirs[0]] = t.contiguous();  // logit_scale is 0-dimensional: nothing to split
      continue;
    }
    const std::vector<torch::Tensor> parts = t.chunk(static_cast<int64_t>(c.theirs.size()), 0);
    for (std::size_t k = 0; k < parts.size(); ++k) out[c.theirs[k]] = parts[k].contiguous();
  }
  if (!ours.empty()) throw mismatch_error("tensor '" + ours.begin()->first + "' has no Hugging Face name");
  return out;
}

std::map<std::string, torch::Tensor> from_hf_state_dict(const std::map<std::string, torch::Tensor>& tensors,
                                                        const ModelConfig& config, const std::string& source) {
  require_vit(config);
  std::map<std::string, torch::Tensor> theirs = tensors;
  // Buffers HF may save that hold no weights (older transformers kept position_ids persistent).
  theirs.erase("text_model.embeddings.position_ids");
  theirs.erase("vision_model.embeddings.position_ids");
  std::map<std::string, torch::Tensor> out;
  for (const Correspondence& c : correspondences(config)) {
    std::vector<torch::Tensor> parts;
    for (const std::string& name : c.theirs) parts.push_back(take(theirs, name, source + ": missing tensor"));
    torch::Tensor t = parts.size() == 1 ? parts[0] : torch::cat(parts, 0);
    out[c.ours] = c.transposed ? t.t().contiguous() : t;
  }
  if (!theirs.empty()) throw mismatch_error(source + ": unexpected tensor '" + theirs.begin()->first + "'");
  return out;
}

void write_hf_clip(const std::string& dir, const CLIP& model, torch::ScalarType dtype, int start_of_text, int end_of_text) {
  const ModelConfig& config = model->config();
  const nlohmann::json hf = hf_clip_config(config, start_of_text, end_of_text);
  NamedTensors tensors;
  for (auto& [name, tensor] : to_hf_state_dict(state_dict(*model), config))
    tensors.emplace_back(name, tensor.is_floating_point() ? tensor.to(dtype) : tensor);
  std::filesystem::create_directories(dir);
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
  write_file_atomic(dir + "/config.json", hf.dump(2) + "\n");
}

}  // namespace clipforge

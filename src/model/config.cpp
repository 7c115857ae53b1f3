#include "model/config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "clipforge/build_info.h"
#include "core/error.h"
#include "core/files.h"
#include "core/json_file.h"

namespace clipforge {
namespace {

using nlohmann::json;

// OpenCLIP features clipforge does not build. A key holding its "off" value (null, false, 0)
// is accepted, since OpenCLIP writes many of them out explicitly; any other value is refused
// by name rather than silently ignored.
const std::set<std::string> kUnsupportedTop = {"custom_text", "cast_dtype", "init_logit_bias", "multimodal_cfg",
                                               "text_pool_type"};
const std::set<std::string> kUnsupportedVision = {
    "ls_init_value",   "patch_dropout",     "attentional_pool", "attn_pooler_queries", "attn_pooler_heads",
    "no_ln_pre",       "pos_embed_type",    "final_ln_after_pool", "pool_type",         "output_tokens",
    "act_kwargs",      "norm_kwargs",       "timm_model_name",  "timm_model_pretrained", "timm_pool",
    "timm_proj",       "timm_proj_bias",    "timm_drop",        "timm_drop_path",      "input_patchnorm",
    "global_average_pool", "embed_cls"};
const std::set<std::string> kUnsupportedText = {
    "hf_model_name", "hf_tokenizer_name", "hf_model_pretrained", "hf_proj_type", "hf_pooler_type",
    "embed_cls",     "pad_id",            "no_causal_mask",      "final_ln_after_pool", "pool_type",
    "proj_bias",     "proj_type",         "output_tokens",       "act_kwargs",    "norm_kwargs",
    "ls_init_value", "tokenizer_kwargs",  "proj"};

bool is_off_value(const json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v.get<double>() == 0.0);
}

class Reader {
 public:
  Reader(const json& object, std::string source, std::string prefix)
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {
    if (!object_.is_object()) fail("", "expected a JSON object");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw usage_error(source_ + ": " + prefix_ + key + ": " + what);
  }

  const json& required(const std::string& key) {
    if (!object_.contains(key)) fail(key, "missing key");
    return consume(key);
  }

  const json& consume(const std::string& key) {
    seen_.insert(key);
    return object_.at(key);
  }

  int positive_int(const json& v, const std::string& key) const {
    if (!v.is_number_integer() || v.get<long long>() <= 0 || v.get<long long>() > 1'000'000)
      fail(key, "expected a positive integer, got " + v.dump());
    return v.get<int>();
  }

  int required_int(const std::string& key) { return positive_int(required(key), key); }

  int optional_int(const std::string& key, int fallback) {
    seen_.insert(key);
    return object_.contains(key) ? positive_int(object_.at(key), key) : fallback;
  }

  double optional_positive(const std::string& key, double fallback) {
    seen_.insert(key);
    if (!object_.contains(key)) return fallback;
    const json& v = object_.at(key);
    if (!v.is_number() || v.get<double>() <= 0) fail(key, "expected a positive number, got " + v.dump());
    return v.get<double>();
  }

  bool optional_bool(const std::string& key, bool fallback) {
    seen_.insert(key);
    if (!object_.contains(key)) return fallback;
    if (!object_.at(key).is_boolean()) fail(key, "expected true or false, got " + object_.at(key).dump());
    return object_.at(key).get<bool>();
  }

  // Every key not consumed above must be an OpenCLIP feature switched off.
  void finish(const std::set<std::string>& unsupported) const {
    for (const auto& [key, value] : object_.items()) {
      if (seen_.count(key)) continue;
      if (unsupported.count(key)) {
        if (!is_off_value(value)) fail(key, "not supported by clipforge (value " + value.dump() + ")");
        continue;
      }
      fail(key, "unknown key");
    }
  }

 private:
  const json& object_;
  std::string source_;
  std::string prefix_;
  std::set<std::string> seen_;
};

VisionConfig parse_vision(const json& j, const std::string& source) {
  Reader r(j, source, "vision_cfg.");
  VisionConfig v;
  const json& size = r.required("image_size");
  v.image_size = r.positive_int(size, "image_size");
  const json& layers = r.required("layers");
  if (layers.is_array()) {
    if (layers.size() != 4) r.fail("layers", "a ModifiedResNet needs 4 stage depths, got " + layers.dump());
    for (const auto& n : layers) v.layers.push_back(r.positive_int(n, "layers"));
  } else {
    v.layers.push_back(r.positive_int(layers, "layers"));
  }
  v.width = r.required_int("width");
  v.head_width = r.optional_int("head_width", 64);
  v.mlp_ratio = r.optional_positive("mlp_ratio", 4.0);
  if (v.is_resnet()) {
    // OpenCLIP writes "patch_size": null for ResNets; any other value is a mistake.
    if (j.contains("patch_size") && !r.consume("patch_size").is_null()) r.fail("patch_size", "not used by a ModifiedResNet");
  } else {
    v.patch_size = r.required_int("patch_size");
    if (v.image_size % v.patch_size != 0)
      r.fail("patch_size", std::to_string(v.patch_size) + " does not divide image_size " + std::to_string(v.image_size));
  }
  if (v.is_resnet() && v.image_size % 32 != 0) r.fail("image_size", "a ModifiedResNet needs a multiple of 32");
  // As OpenCLIP and OpenAI's build_model: heads = attention width // head_width, rounded down (a
  // width that head_width does not divide gets fewer, wider heads); attention then needs the
  // heads to divide the width, as torch's MultiheadAttention does.
  const int attention_width = v.is_resnet() ? v.width * 32 : v.width;
  if (v.head_width <= 0 || v.heads() < 1)
    r.fail("head_width", std::to_string(v.head_width) + " leaves no attention head for width " + std::to_string(attention_width));
  if (attention_width % v.heads() != 0)
    r.fail("head_width", std::to_string(v.head_width) + " gives " + std::to_string(v.heads()) +
                             " heads, which do not divide the attention width " + std::to_string(attention_width));
  r.finish(kUnsupportedVision);
  return v;
}

TextConfig parse_text(const json& j, const std::string& source) {
  Reader r(j, source, "text_cfg.");
  TextConfig t;
  t.context_length = r.required_int("context_length");
  t.vocab_size = r.required_int("vocab_size");
  t.width = r.required_int("width");
  t.heads = r.required_int("heads");
  t.layers = r.required_int("layers");
  t.mlp_ratio = r.optional_positive("mlp_ratio", 4.0);
  if (t.width % t.heads != 0) r.fail("heads", "does not divide the width " + std::to_string(t.width));
  r.finish(kUnsupportedText);
  return t;
}

}  // namespace

ModelConfig parse_model_config(const json& j, const std::string& source) {
  Reader r(j, source, "");
  ModelConfig c;
  c.embed_dim = r.required_int("embed_dim");
  c.quick_gelu = r.optional_bool("quick_gelu", false);
  c.vision = parse_vision(r.required("vision_cfg"), source);
  c.text = parse_text(r.required("text_cfg"), source);
  r.finish(kUnsupportedTop);
  return c;
}

json model_config_to_json(const ModelConfig& c) {
  json vision = {{"image_size", c.vision.image_size}, {"width", c.vision.width}, {"head_width", c.vision.head_width},
                 {"mlp_ratio", c.vision.mlp_ratio}};
  if (c.vision.is_resnet()) {
    vision["layers"] = c.vision.layers;
    vision["patch_size"] = nullptr;
  } else {
    vision["layers"] = c.vision.layers.at(0);
    vision["patch_size"] = c.vision.patch_size;
  }
  json text = {{"context_length", c.text.context_length}, {"vocab_size", c.text.vocab_size}, {"width", c.text.width},
               {"heads", c.text.heads}, {"layers", c.text.layers}, {"mlp_ratio", c.text.mlp_ratio}};
  return {{"embed_dim", c.embed_dim}, {"quick_gelu", c.quick_gelu}, {"vision_cfg", vision}, {"text_cfg", text}};
}

std::string models_dir() {
  if (const char* env = std::getenv("CLIPFORGE_MODELS_DIR")) return env;
  return build::kModelsDir;
}

std::vector<std::string> available_model_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(models_dir(), ec))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

ModelConfig load_model_config(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  const std::string path = is_path ? name_or_path : models_dir() + "/" + name_or_path + ".json";
  if (!file_exists(path)) {
    if (is_path) throw usage_error(path + ": model config not found");
    std::string known;
    for (const auto& n : available_model_names()) known += (known.empty() ? "" : ", ") + n;
    throw usage_error("unknown model '" + name_or_path + "' (known: " + known + "; or give a path to a .json)");
  }
  return parse_model_config(read_json_file(path), path);
}

}  // namespace clipforge

// Hugging Face's CLIPModel layout: names, splits and transposes both ways, the config both ways,
// a written folder read back, and what cannot convert. (The real transformers package loads these
// folders in tests/interop.)
#include "model/hf_clip.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>

#include "core/error.h"
#include "core/files.h"
#include "model/load.h"
#include "support/reference.h"

using namespace clipforge;

namespace {

std::string error_of(const std::function<void()>& action, ErrorKind kind) {
  try {
    action();
  } catch (const Error& e) {
    CHECK(e.kind() == kind);
    return e.what();
  }
  FAIL("expected an error");
  return "";
}

}  // namespace

TEST_CASE("the HF state dict splits the attention projection, transposes the output projections and maps back exactly",
          "[model][hf]") {
  torch::manual_seed(2);
  const LoadedModel tiny = load_model({"tiny-ViT", ""});
  const ModelConfig& c = tiny.config;
  const NamedTensors ours = state_dict(*tiny.model);
  const auto hf = to_hf_state_dict(ours, c);
  const std::map<std::string, torch::Tensor> original(ours.begin(), ours.end());
  const int w = c.vision.width;
  const torch::Tensor in_proj = original.at("visual.transformer.resblocks.1.attn.in_proj_weight");
  CHECK(torch::equal(hf.at("vision_model.encoder.layers.1.self_attn.q_proj.weight"), in_proj.slice(0, 0, w)));
  CHECK(torch::equal(hf.at("vision_model.encoder.layers.1.self_attn.v_proj.weight"), in_proj.slice(0, 2 * w, 3 * w)));
  CHECK(torch::equal(hf.at("visual_projection.weight"), original.at("visual.proj").t()));
  CHECK(torch::equal(hf.at("text_projection.weight"), original.at("text_projection").t()));
  CHECK(torch::equal(hf.at("vision_model.pre_layrnorm.weight"), original.at("visual.ln_pre.weight")));
  // Fused q/k/v become three tensors per block, in both towers.
  const std::size_t blocks = static_cast<std::size_t>(c.vision.layers[0] + c.text.layers);
  CHECK(hf.size() == ours.size() + 4 * blocks);

  const auto back = from_hf_state_dict(hf, c, "test");
  REQUIRE(back.size() == original.size());
  for (const auto& [name, tensor] : original) {
    INFO(name);
    REQUIRE(back.count(name) == 1);
    CHECK(torch::equal(back.at(name), tensor));
  }
}

TEST_CASE("the HF config describes the same model, and a written folder loads back to the same weights", "[model][hf]") {
  torch::manual_seed(3);
  const LoadedModel tiny = load_model({"tiny-ViT", ""});
  const nlohmann::json hf = hf_clip_config(tiny.config, 10, 11);
  CHECK(hf["vision_config"]["num_attention_heads"] == tiny.config.vision.heads());
  CHECK(hf["text_config"]["eos_token_id"] == 11);
  CHECK(hf["text_config"]["hidden_act"] == (tiny.config.quick_gelu ? "quick_gelu" : "gelu"));
  CHECK(model_config_to_json(model_config_from_hf(hf, "config.json")) == model_config_to_json(tiny.config));

  const std::string dir = testing::temp_dir() + "/hf_tiny";
  write_hf_clip(dir, tiny.model, torch::kFloat, 10, 11);
  const LoadedModel back = load_model({"", dir});
  const NamedTensors a = state_dict(*tiny.model), b = state_dict(*back.model);
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(torch::equal(a[i].second, b[i].second));
  }
}

TEST_CASE("what cannot convert to or from HF is refused naming the file and the key", "[model][hf][bad-input]") {
  torch::manual_seed(4);
  const LoadedModel rn = load_model({"tiny-RN", ""});
  CHECK_THAT(error_of([&] { hf_clip_config(rn.config, 0, 1); }, ErrorKind::kMismatch), Catch::Contains("ModifiedResNet"));

  const LoadedModel vit = load_model({"tiny-ViT", ""});
  nlohmann::json hf = hf_clip_config(vit.config, 10, 11);
  hf["vision_config"]["hidden_act"] = "gelu_pytorch_tanh";
  CHECK_THAT(error_of([&] { model_config_from_hf(hf, "dir/config.json"); }, ErrorKind::kMismatch),
             Catch::Contains("dir/config.json") && Catch::Contains("gelu_pytorch_tanh"));
  hf = hf_clip_config(vit.config, 10, 11);
  hf["text_config"].erase("hidden_size");
  CHECK_THAT(error_of([&] { model_config_from_hf(hf, "dir/config.json"); }, ErrorKind::kInput),
             Catch::Contains("dir/config.json: text_config") && Catch::Contains("'hidden_size'"));

  auto tensors = to_hf_state_dict(state_dict(*vit.model), vit.config);
  tensors.erase("text_model.encoder.layers.0.self_attn.k_proj.bias");
  CHECK_THAT(error_of([&] { from_hf_state_dict(tensors, vit.config, "dir/model.safetensors"); }, ErrorKind::kMismatch),
             Catch::Contains("dir/model.safetensors: missing tensor 'text_model.encoder.layers.0.self_attn.k_proj.bias'"));

  const std::string dir = testing::temp_dir() + "/hf_no_config";
  std::filesystem::create_directories(dir);
  write_file_atomic(dir + "/model.safetensors", "");
  CHECK_THAT(error_of([&] { load_model({"", dir}); }, ErrorKind::kInput), Catch::Contains(dir) && Catch::Contains("config.json"));
}

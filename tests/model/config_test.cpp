#include "model/config.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace clipforge;
using nlohmann::json;

namespace {

json vit_config() {
  return json::parse(R"({"embed_dim": 32, "quick_gelu": true,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2}})");
}

std::string error_of(const json& j) {
  try {
    parse_model_config(j, "test.json");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    return e.what();
  }
  FAIL("expected the config to be refused");
  return "";
}

}  // namespace

TEST_CASE("an OpenCLIP ViT config parses into the structs", "[model][config]") {
  ModelConfig c = parse_model_config(vit_config(), "test.json");
  CHECK(c.embed_dim == 32);
  CHECK(c.quick_gelu);
  CHECK_FALSE(c.vision.is_resnet());
  CHECK(c.vision.layers == std::vector<int>{2});
  CHECK(c.vision.patch_size == 8);
  CHECK(c.vision.heads() == 1);
  CHECK(c.text.heads == 2);
  CHECK(c.text.context_length == 77);
}

TEST_CASE("a layers list makes a ModifiedResNet with CLIP's head rule", "[model][config]") {
  json j = vit_config();
  j["vision_cfg"] = {{"image_size", 64}, {"layers", {1, 1, 1, 1}}, {"width", 16}, {"patch_size", nullptr}};
  ModelConfig c = parse_model_config(j, "test.json");
  CHECK(c.vision.is_resnet());
  CHECK(c.vision.heads() == 8);  // width * 32 / 64
}

TEST_CASE("config round-trips through JSON, every field kept", "[model][config]") {
  // Every field away from its default: a field the writer dropped would come back as the default.
  const json written = json::parse(R"({"embed_dim": 48, "quick_gelu": true,
    "vision_cfg": {"image_size": 96, "layers": 3, "width": 96, "patch_size": 16, "head_width": 32, "mlp_ratio": 3.5},
    "text_cfg": {"context_length": 33, "vocab_size": 1000, "width": 80, "heads": 5, "layers": 4, "mlp_ratio": 2.5}})");
  const ModelConfig back = parse_model_config(model_config_to_json(parse_model_config(written, "test.json")), "round trip");
  CHECK(back.embed_dim == 48);
  CHECK(back.quick_gelu);
  CHECK(back.vision.image_size == 96);
  CHECK(back.vision.layers == std::vector<int>{3});
  CHECK(back.vision.width == 96);
  CHECK(back.vision.patch_size == 16);
  CHECK(back.vision.head_width == 32);
  CHECK(back.vision.mlp_ratio == 3.5);
  CHECK(back.text.context_length == 33);
  CHECK(back.text.vocab_size == 1000);
  CHECK(back.text.width == 80);
  CHECK(back.text.heads == 5);
  CHECK(back.text.layers == 4);
  CHECK(back.text.mlp_ratio == 2.5);
  // And a ModifiedResNet's four stages.
  json resnet = written;
  resnet["vision_cfg"] = {{"image_size", 64}, {"layers", {1, 2, 3, 4}}, {"width", 16}, {"head_width", 16}};
  const ModelConfig rn = parse_model_config(model_config_to_json(parse_model_config(resnet, "rn.json")), "round trip");
  CHECK(rn.vision.layers == std::vector<int>{1, 2, 3, 4});
  CHECK(rn.vision.head_width == 16);
}

TEST_CASE("config errors name the file and the key", "[model][config]") {
  json j = vit_config();
  j["vision_cfg"]["timm_model_name"] = "vit_base_patch16_224";
  CHECK_THAT(error_of(j), Catch::Contains("test.json") && Catch::Contains("vision_cfg.timm_model_name") &&
                              Catch::Contains("not supported"));

  j = vit_config();
  j["vision_cfg"]["colour"] = 3;
  CHECK_THAT(error_of(j), Catch::Contains("vision_cfg.colour: unknown key"));

  j = vit_config();
  j["text_cfg"].erase("heads");
  CHECK_THAT(error_of(j), Catch::Contains("text_cfg.heads: missing key"));

  j = vit_config();
  j.erase("embed_dim");
  CHECK_THAT(error_of(j), Catch::Contains("embed_dim: missing key"));

  j = vit_config();
  j["text_cfg"]["width"] = "wide";
  CHECK_THAT(error_of(j), Catch::Contains("text_cfg.width: expected a positive integer"));

  j = vit_config();
  j["vision_cfg"]["patch_size"] = 7;
  CHECK_THAT(error_of(j), Catch::Contains("does not divide image_size"));

  j = vit_config();
  j["vision_cfg"]["layers"] = {1, 2};
  CHECK_THAT(error_of(j), Catch::Contains("4 stage depths"));
}

TEST_CASE("a head_width that does not divide the width gives fewer, wider heads, as OpenCLIP's", "[model][config]") {
  json j = vit_config();
  j["vision_cfg"]["width"] = 96;  // 96 // 64 = 1 head of width 96
  CHECK(parse_model_config(j, "test.json").vision.heads() == 1);
  j["vision_cfg"]["width"] = 192;
  j["vision_cfg"]["head_width"] = 80;  // 192 // 80 = 2 heads of 96
  CHECK(parse_model_config(j, "test.json").vision.heads() == 2);
  j["vision_cfg"] = {{"image_size", 64}, {"layers", {1, 1, 1, 1}}, {"width", 20}, {"head_width", 150}};
  CHECK(parse_model_config(j, "test.json").vision.heads() == 4);  // attention width 20 x 32 = 640; 640 // 150
  // torch's attention needs the heads to divide the width: OpenCLIP fails there, this names the key.
  j["vision_cfg"]["head_width"] = 64;
  j["vision_cfg"]["width"] = 7;  // 224 // 64 = 3 heads for 224
  CHECK_THAT(error_of(j), Catch::Contains("vision_cfg.head_width") && Catch::Contains("3 heads") &&
                              Catch::Contains("attention width 224"));
  j = vit_config();
  j["vision_cfg"]["head_width"] = 65;  // 64 // 65 = 0 heads
  CHECK_THAT(error_of(j), Catch::Contains("vision_cfg.head_width") && Catch::Contains("no attention head"));
}

TEST_CASE("OpenCLIP keys switched off are accepted", "[model][config]") {
  json j = vit_config();
  j["vision_cfg"]["patch_dropout"] = 0.0;
  j["vision_cfg"]["ls_init_value"] = nullptr;
  j["custom_text"] = false;
  CHECK_NOTHROW(parse_model_config(j, "test.json"));
}

TEST_CASE("shipped configs load by name with the published sizes", "[model][config]") {
  ModelConfig b32 = load_model_config("ViT-B-32");
  CHECK(b32.vision.width == 768);
  CHECK(b32.vision.patch_size == 32);
  CHECK(b32.vision.heads() == 12);
  ModelConfig rn50 = load_model_config("RN50");
  CHECK(rn50.vision.layers == std::vector<int>{3, 4, 6, 3});
  CHECK(rn50.embed_dim == 1024);
  ModelConfig l14 = load_model_config("ViT-L-14-336");
  CHECK(l14.vision.image_size == 336);
  CHECK(l14.text.heads == 12);
  for (const char* name : {"RN50", "RN101", "RN50x4", "ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "tiny-ViT", "tiny-RN",
                           "demo-ViT-28", "demo-RN-32"})
    CHECK_NOTHROW(load_model_config(name));
}

TEST_CASE("an unknown model name lists the known ones", "[model][config]") {
  try {
    load_model_config("ViT-Z-99");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("ViT-Z-99") && Catch::Contains("ViT-B-32"));
  }
}

// Parity with the original OpenAI CLIP implementation on the reference tiny models: the same
// weights, loaded from safetensors and from the TorchScript archive, must give the expected
// features and logits within the tolerance the reference README states.
#include <catch2/catch.hpp>
#include <fstream>

#include "model/load.h"
#include "model/model_fixtures.h"
#include "support/reference.h"

using namespace clipforge;

namespace {

void check_parity(const std::string& name, const std::string& weights_file) {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/" + name);
  const auto manifest = testing::load_manifest(dir);
  const auto expected = testing::load_expected(dir);
  // Text heads cannot be inferred for these widths, so the manifest's config is given.
  const std::string config_path = testing::temp_dir() + "/" + name + ".json";
  {
    std::ofstream(config_path) << manifest["open_clip_model_config"].dump();
  }
  LoadedModel loaded = load_model({config_path, dir + "/" + weights_file});
  c10::InferenceMode inference;
  torch::Tensor image_features = loaded.model->encode_image(expected.at("image_input"));
  torch::Tensor text_features = loaded.model->encode_text(expected.at("text_tokens"));
  torch::Tensor logits = clip_logits(image_features, text_features, loaded.model->logit_scale);

  INFO(name << " from " << weights_file);
  CHECK(testing::tolerance_excess(image_features, expected.at("image_features")) <= 0);
  CHECK(testing::tolerance_excess(text_features, expected.at("text_features")) <= 0);
  CHECK(testing::tolerance_excess(logits, expected.at("logits_per_image")) <= 0);
  CHECK(testing::tolerance_excess(logits.t(), expected.at("logits_per_text")) <= 0);
  // The forward pass returns the normalised features and exp(logit_scale) they combine into.
  auto [image_n, text_n, scale] = loaded.model->forward(expected.at("image_input"), expected.at("text_tokens"));
  CHECK(testing::tolerance_excess(scale * image_n.matmul(text_n.t()), expected.at("logits_per_image")) <= 0);
  CHECK(image_n.norm(2, -1).sub(1).abs().max().item<double>() < 1e-5);
}

}  // namespace

TEST_CASE("ViT parity from safetensors", "[model][parity]") { check_parity("vit_tiny", "vit_tiny.safetensors"); }
TEST_CASE("ViT parity from the TorchScript archive", "[model][parity]") { check_parity("vit_tiny", "vit_tiny_jit.pt"); }
TEST_CASE("ModifiedResNet parity from safetensors", "[model][parity]") { check_parity("rn_tiny", "rn_tiny.safetensors"); }
TEST_CASE("ModifiedResNet parity from the TorchScript archive", "[model][parity]") {
  check_parity("rn_tiny", "rn_tiny_jit.pt");
}

TEST_CASE("parity holds with one and with two compute threads", "[model][parity]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/rn_tiny");
  const int before = torch::get_num_threads();
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    check_parity("rn_tiny", "rn_tiny.safetensors");
  }
  torch::set_num_threads(before);
}

TEST_CASE("the config of a ResNet checkpoint is inferred from its shapes", "[model][parity]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/rn_tiny");
  WeightsFile weights = read_weights(dir + "/rn_tiny.safetensors");
  LoadedModel loaded = load_model({"", dir + "/rn_tiny.safetensors"});
  const ModelConfig& c = loaded.config;
  CHECK(c.vision.is_resnet());
  CHECK(c.vision.layers == std::vector<int>{1, 1, 1, 1});
  CHECK(c.vision.width == 16);
  CHECK(c.vision.image_size == 64);
  CHECK(c.embed_dim == 32);
  CHECK(c.text.context_length == 77);
  CHECK(c.text.layers == 2);
  CHECK(c.quick_gelu);
  CHECK(c.text.heads == 1);  // width / 64 rounded up to one head; the README's caveat
  CHECK_FALSE(loaded.notes.empty());
  // The image tower does not depend on text heads: image features still match.
  const auto expected = testing::load_expected(dir);
  c10::InferenceMode inference;
  CHECK(testing::tolerance_excess(loaded.model->encode_image(expected.at("image_input")),
                                  expected.at("image_features")) <= 0);
}

TEST_CASE("the config of a ViT TorchScript archive is inferred from its shapes", "[model][parity]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/vit_tiny");
  LoadedModel loaded = load_model({"", dir + "/vit_tiny_jit.pt"});
  const ModelConfig& c = loaded.config;
  CHECK_FALSE(c.vision.is_resnet());
  CHECK(c.vision.layers == std::vector<int>{2});
  CHECK(c.vision.patch_size == 8);
  CHECK(c.vision.image_size == 32);
  CHECK(c.vision.width == 64);
  const auto expected = testing::load_expected(dir);
  c10::InferenceMode inference;
  CHECK(testing::tolerance_excess(loaded.model->encode_image(expected.at("image_input")),
                                  expected.at("image_features")) <= 0);
}

#include "model/load.h"

#include <torch/serialize.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "clipforge/test_paths.h"
#include "model/safetensors.h"
#include "model/torchscript.h"
#include "support/reference.h"

using namespace clipforge;

namespace {

std::string mismatch_message(const ModelSource& source) {
  try {
    load_model(source);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kMismatch);
    return e.what();
  }
  FAIL("expected the weights to be refused");
  return "";
}

}  // namespace

TEST_CASE("save then load gives bit-identical tensors and the same config", "[model][load]") {
  torch::manual_seed(1);
  for (const char* name : {"tiny-ViT", "tiny-RN"}) {
    LoadedModel original = load_model({name, ""});
    const std::string path = testing::temp_dir() + "/" + name + ".safetensors";
    save_model(path, original.model);
    LoadedModel back = load_model({"", path});  // config from the file's metadata
    CHECK(model_config_to_json(back.config) == model_config_to_json(original.config));
    NamedTensors a = state_dict(*original.model), b = state_dict(*back.model);
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].first);
      CHECK(a[i].first == b[i].first);
      CHECK(a[i].second.scalar_type() == b[i].second.scalar_type());
      CHECK(torch::equal(a[i].second, b[i].second));
    }
  }
}

TEST_CASE("half-precision files load into a float32 model", "[model][load]") {
  torch::manual_seed(2);
  LoadedModel original = load_model({"tiny-ViT", ""});
  const std::string path = testing::temp_dir() + "/half.safetensors";
  save_model(path, original.model, torch::kBFloat16);
  SafetensorsFile file = read_safetensors(path);
  for (const auto& [name, t] : file.tensors) CHECK(t.scalar_type() == torch::kBFloat16);
  LoadedModel back = load_model({"", path});
  CHECK(back.model->text_projection.scalar_type() == torch::kFloat);
  CHECK(torch::equal(back.model->text_projection, original.model->text_projection.to(torch::kBFloat16).to(torch::kFloat)));
}

TEST_CASE("weights that do not fit the config are refused listing every problem", "[model][load]") {
  torch::manual_seed(3);
  LoadedModel vit = load_model({"tiny-ViT", ""});
  const std::string path = testing::temp_dir() + "/vit_for_mismatch.safetensors";
  save_model(path, vit.model);
  const std::string message = mismatch_message({"tiny-RN", path});
  CHECK_THAT(message, Catch::Contains("vit_for_mismatch.safetensors") && Catch::Contains("missing keys") &&
                          Catch::Contains("122 missing keys: visual.bn1.weight") && Catch::Contains("unexpected keys: visual.class_embedding") &&
                          Catch::Contains("visual.conv1.weight [128, 3, 8, 8] vs model [8, 3, 3, 3]"));

  // Same keys, one shape changed, one key dropped, one added.
  NamedTensors tensors = state_dict(*vit.model);
  tensors.erase(tensors.begin() + 1);  // text_projection
  tensors.emplace_back("extra.weight", torch::zeros({1}));
  for (auto& [name, t] : tensors)
    if (name == "visual.proj") t = torch::zeros({3, 3});
  write_safetensors(path, tensors, {});
  const std::string all = mismatch_message({"tiny-ViT", path});
  CHECK_THAT(all, Catch::Contains("1 missing keys: text_projection") && Catch::Contains("1 unexpected keys: extra.weight") &&
                      Catch::Contains("visual.proj [3, 3] vs model [128, 64]"));
}

// torch.save checkpoints (OpenCLIP's epoch_N.pt) are zip archives of a pickled dict; OpenCLIP
// nests the weights under "state_dict" with DistributedDataParallel's "module." prefix.
TEST_CASE("OpenCLIP-style torch.save checkpoints load", "[model][load]") {
  torch::manual_seed(4);
  LoadedModel original = load_model({"tiny-ViT", ""});
  c10::Dict<std::string, torch::Tensor> weights;
  for (const auto& [name, t] : state_dict(*original.model)) weights.insert("module." + name, t);
  c10::impl::GenericDict checkpoint(c10::StringType::get(), c10::AnyType::get());
  checkpoint.insert("epoch", int64_t{3});
  checkpoint.insert("name", std::string("run"));
  checkpoint.insert("state_dict", weights);
  const std::vector<char> bytes = torch::pickle_save(checkpoint);
  const std::string path = testing::temp_dir() + "/epoch_3.pt";
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

  LoadedModel back = load_model({"tiny-ViT", path});
  CHECK(torch::equal(back.model->visual_vit->proj, original.model->visual_vit->proj));
  CHECK(torch::equal(back.model->token_embedding->weight, original.model->token_embedding->weight));
}

TEST_CASE("a torch.save checkpoint saved on a GPU loads on a machine without one", "[model][load]") {
  // Its storages name cuda:0 (scripts/make_test_fixtures.py): torch.load without map_location
  // refuses it here, and so did clipforge's reader before it mapped storages to the CPU.
  const std::string path = std::string(CLIPFORGE_SOURCE_DIR) + "/tests/model/fixtures/saved_on_cuda0.pt";
  ArchiveWeights weights = read_pytorch_archive(path);
  CHECK_FALSE(weights.torchscript);
  REQUIRE(weights.tensors.count("w") == 1);
  const torch::Tensor w = weights.tensors.at("w");
  CHECK(w.device() == torch::Device(torch::kCPU));
  CHECK(torch::equal(w, torch::arange(6, torch::kFloat).reshape({2, 3})));
  CHECK(torch::equal(weights.tensors.at("b"), torch::tensor({0.5f, -1.5f})));
}

TEST_CASE("a file that is neither format is an input error naming it", "[model][load]") {
  const std::string path = testing::temp_dir() + "/garbage.pt";
  std::ofstream(path, std::ios::binary).write("PK\x03\x04garbage", 11);
  try {
    load_model({"tiny-ViT", path});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK_THAT(std::string(e.what()), Catch::Contains("garbage.pt"));
  }
}

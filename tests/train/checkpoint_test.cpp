#include "train/checkpoint.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "model/load.h"
#include "support/reference.h"
#include "train/contrastive_step.h"

using namespace clipforge;
namespace fs = std::filesystem;

namespace {

struct Run {
  CLIP model;
  NamedOptimizer optimizer;
};

Run make_run() {
  torch::manual_seed(7);
  CLIP model(load_model_config("tiny-ViT"));
  model->train();
  NamedOptimizer optimizer = make_adamw(*model, {});
  return {model, std::move(optimizer)};
}

// One optimizer step on data drawn from the global RNG, so restoring the RNG matters too.
void step(Run& run) {
  const auto& c = run.model->config();
  torch::Tensor images = torch::randn({4, 3, c.vision.image_size, c.vision.image_size});
  torch::Tensor tokens = torch::randint(1, 500, {4, 8}, torch::kLong);
  tokens.select(1, 7).fill_(c.text.vocab_size - 1);
  run.optimizer.optimizer->zero_grad();
  contrastive_backward(run.model, {images}, {tokens}, Precision::kFp32);
  run.optimizer.optimizer->step();
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::temp_dir() + "/" + name;
  fs::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("resuming from a checkpoint continues bit for bit", "[train][checkpoint]") {
  const std::string dir = fresh_dir("resume");
  Run a = make_run();
  step(a);
  step(a);
  CheckpointStore store(dir, 2);
  store.save(a.model, a.optimizer, {2, 0, {{"batches", 2}}, {{"note", "x"}}});
  step(a);
  step(a);

  Run b = make_run();  // different state: fresh optimizer, RNG at its seed
  auto stem = store.latest();
  REQUIRE(stem);
  TrainingState state = store.load(*stem, b.model, b.optimizer);
  CHECK(state.step == 2);
  CHECK(state.loader["batches"] == 2);
  CHECK(state.extra["note"] == "x");
  step(b);
  step(b);
  for (const auto& p : a.model->named_parameters()) {
    INFO(p.key());
    CHECK(torch::equal(p.value(), b.model->named_parameters()[p.key()]));
  }
}

TEST_CASE("a write killed before the pointer moves leaves the previous checkpoint loadable", "[train][checkpoint]") {
  const std::string dir = fresh_dir("killed");
  Run a = make_run();
  step(a);
  {
    CheckpointStore store(dir, 3);
    store.save(a.model, a.optimizer, {1, 0, {}, {}});
  }
  // What a kill leaves: the next weights complete, its state half-written under a temporary name.
  step(a);
  save_model(dir + "/step_00000002.safetensors", a.model);
  std::ofstream(dir + "/step_00000002.state.safetensors.tmp.999", std::ios::binary) << "partial";

  CheckpointStore reopened(dir, 3);
  CHECK_FALSE(fs::exists(dir + "/step_00000002.state.safetensors.tmp.999"));
  REQUIRE(reopened.latest() == std::string("step_00000001"));
  Run b = make_run();
  CHECK(reopened.load("step_00000001", b.model, b.optimizer).step == 1);
}

TEST_CASE("only the newest keep_last checkpoints are kept", "[train][checkpoint]") {
  const std::string dir = fresh_dir("prune");
  Run a = make_run();
  CheckpointStore store(dir, 2);
  for (int64_t s = 1; s <= 4; ++s) store.save(a.model, a.optimizer, {s, 0, {}, {}});
  CHECK_FALSE(fs::exists(dir + "/step_00000002.safetensors"));
  CHECK(fs::exists(dir + "/step_00000003.safetensors"));
  CHECK(fs::exists(dir + "/step_00000004.state.safetensors"));
  CHECK(store.latest() == std::string("step_00000004"));
  // The weights file alone is a normal, self-describing model file.
  CHECK_NOTHROW(load_model({"", dir + "/step_00000004.safetensors"}));
}

TEST_CASE("a checkpoint of another parameter set is refused", "[train][checkpoint]") {
  const std::string dir = fresh_dir("other");
  Run a = make_run();
  CheckpointStore store(dir, 1);
  store.save(a.model, a.optimizer, {1, 0, {}, {}});
  Run b = make_run();
  for (auto& p : b.model->visual_vit->parameters()) p.requires_grad_(false);
  b.optimizer = make_adamw(*b.model, {});
  CHECK_THROWS_WITH(store.load("step_00000001", b.model, b.optimizer), Catch::Contains("trained parameters differ"));
}

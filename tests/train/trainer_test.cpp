// End-to-end training on tiny shards the test writes: colour images captioned with their colour.
#include "train/trainer.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "model/load.h"
#include "model/safetensors.h"
#include "model/state_dict.h"
#include "support/colour_shards.h"
#include "support/reference.h"

using namespace clipforge;
namespace fs = std::filesystem;

namespace {

TrainConfig base_config(const std::string& dir, const std::string& urls) {
  TrainConfig c;
  c.model = testing::write_tiny_model_config(dir);
  c.train_data = urls;
  c.batch_size = 8;
  c.epochs = 4;
  c.optimizer.lr = 3e-3;
  c.optimizer.weight_decay = 0.1;
  c.warmup = 2;
  c.workers = 2;
  c.logs = dir + "/runs";
  c.log_every = 1;
  c.save_frequency = 1;
  return c;
}

std::vector<double> losses(const std::string& run_dir) {
  std::vector<double> out;
  std::istringstream in(read_file(run_dir + "/metrics.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) out.push_back(j["loss"].get<double>());
  }
  return out;
}

NamedTensors final_weights(const nlohmann::json& summary) {
  return state_dict(*load_model({"", summary["weights"].get<std::string>()}).model);
}

}  // namespace

TEST_CASE("training on tiny shards lowers the loss and classifies colours zero-shot", "[train][e2e]") {
  const std::string dir = testing::temp_dir() + "/e2e";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 32);
  TrainConfig c = base_config(dir, urls);
  c.name = "colours";
  c.epochs = 12;
  c.optimizer.lr = 1e-3;
  c.val_data = testing::write_colour_shards(dir + "/val", 16, testing::kHeldOutSeed);  // disjoint from training
  c.zeroshot_classes = "red,green,blue,yellow";
  c.zeroshot_templates = "a photo of a {} square";
  const nlohmann::json summary = train(c);
  const std::string run = dir + "/runs/colours";
  const auto l = losses(run);
  REQUIRE(l.size() == 12 * 8);  // 64 samples / batch 8 per epoch
  const double first = (l[0] + l[1] + l[2]) / 3, last = (l[l.size() - 1] + l[l.size() - 2] + l[l.size() - 3]) / 3;
  INFO("first " << first << " last " << last);
  CHECK(last < 0.7 * first);
  CHECK(summary["eval"]["zeroshot"]["top1"].get<double>() > 0.5);  // chance is 0.25
  // The run folder holds everything a user needs.
  for (const char* file : {"params.json", "vocab.txt.gz", "metrics.jsonl", "checkpoints/latest"}) {
    INFO(file);
    CHECK(fs::exists(run + "/" + file));
  }
  CHECK(load_model({"", summary["weights"].get<std::string>()}).config.text.vocab_size == 600);
}

TEST_CASE("a resumed run produces the same weights as an uninterrupted one", "[train][resume]") {
  const std::string dir = testing::temp_dir() + "/resume_e2e";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 24);
  TrainConfig c = base_config(dir, urls);
  c.epochs = 2;  // 6 steps per epoch

  c.name = "straight";
  const nlohmann::json straight = train(c);

  c.name = "interrupted";
  c.max_steps = 4;  // stops mid-epoch 0... of epoch 1, with a checkpoint
  train(c);
  c.max_steps = 0;
  c.resume = "latest";
  const nlohmann::json resumed = train(c);

  CHECK(resumed["steps"] == straight["steps"]);
  NamedTensors a = final_weights(straight), b = final_weights(resumed);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(torch::equal(a[i].second, b[i].second));
  }
  // The log reads as one run: every step once.
  std::vector<double> resumed_losses = losses(dir + "/runs/interrupted"), straight_losses = losses(dir + "/runs/straight");
  CHECK(resumed_losses == straight_losses);
}

TEST_CASE("a mid-epoch checkpoint whose loader state lacks a key is refused, naming the file and the key",
          "[train][resume]") {
  const std::string dir = testing::temp_dir() + "/resume_old_state";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 24);
  TrainConfig c = base_config(dir, urls);
  c.name = "run";
  c.max_steps = 2;  // mid-epoch 0 of 6 steps
  train(c);
  // Rewrite the position as earlier versions wrote it: per worker [batches, samples, finished].
  const std::string checkpoints = dir + "/runs/run/checkpoints";
  const std::string state_path = checkpoints + "/step_00000002.state.safetensors";
  SafetensorsFile file = read_safetensors(state_path);
  nlohmann::json meta = nlohmann::json::parse(file.metadata.at("training_state"));
  REQUIRE(meta["loader"].at(0)["epoch"] == 0);
  for (auto& worker : meta["loader"][0]["workers"]) worker = nlohmann::json::array({1, 8, false});
  file.metadata["training_state"] = meta.dump();
  write_safetensors(state_path, file.tensors, file.metadata);

  c.max_steps = 0;
  c.resume = "latest";
  try {
    train(c);
    FAIL("the run resumed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK_THAT(e.what(), Catch::Contains(checkpoints + "/step_00000002") && Catch::Contains("'finished'"));
  }
}

TEST_CASE("a run that keeps producing non-finite losses stops with the last good checkpoint named", "[train][guard]") {
  const std::string dir = testing::temp_dir() + "/nan_guard";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 16);
  TrainConfig c = base_config(dir, urls);
  c.name = "explodes";
  c.optimizer.lr = 1e30;
  c.warmup = 0;
  c.max_bad_steps = 2;
  c.save_every_steps = 1;
  try {
    train(c);
    FAIL("expected the run to stop");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRuntime);
    CHECK_THAT(std::string(e.what()), Catch::Contains("non-finite losses in a row") && Catch::Contains("step_0000000"));
  }
  // The checkpoint it names still loads.
  CHECK_NOTHROW(load_model({"", dir + "/runs/explodes/checkpoints/step_00000001.safetensors"}));
}

TEST_CASE("starting a new run over an existing one is refused", "[train]") {
  const std::string dir = testing::temp_dir() + "/existing";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 8);
  TrainConfig c = base_config(dir, urls);
  c.name = "once";
  c.epochs = 1;
  train(c);
  CHECK_THROWS_WITH(train(c), Catch::Contains("already holds checkpoints"));
}

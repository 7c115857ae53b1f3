// `clipforge zeroshot` end to end: parity with the reference models, the classifier cache, a
// trained model's accuracy, and bad input.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <torch/torch.h>

#include "eval/trained_colours.h"
#include "support/colour_shards.h"
#include "eval/zeroshot_run.h"
#include "model/model_fixtures.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
using testing::run_cli;
using testing::write_text;
namespace fs = std::filesystem;

namespace {

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  for (const auto& line : testing::lines_of(text)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The reference model's --model, --weights and --vocab flags.
std::string reference_flags(const std::string& model_dir, const std::string& vocab, const std::string& work) {
  const nlohmann::json manifest = testing::load_manifest(model_dir);
  const std::string config = write_text(work + "/config.json", manifest["open_clip_model_config"].dump());
  const std::string name = fs::path(model_dir).filename().string();
  return "--model " + config + " --weights " + model_dir + "/" + name + ".safetensors --vocab " + vocab;
}

}  // namespace

TEST_CASE("zeroshot probabilities equal softmax of the reference logits", "[eval][zeroshot][cli]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(models, "reference/models");
  for (const char* name : {"vit_tiny", "rn_tiny"}) {
    SECTION(name) {
      const std::string dir = models + "/" + name, work = testing::temp_dir() + "/zs_parity_" + name;
      const auto manifest = testing::load_manifest(dir);
      // An empty caption cannot be a class name: compare over the other columns.
      std::vector<int64_t> columns;
      for (int64_t c = 0; c < static_cast<int64_t>(manifest["captions"].size()); ++c)
        if (!manifest["captions"][static_cast<size_t>(c)].get<std::string>().empty()) columns.push_back(c);
      std::string classes;
      for (int64_t c : columns) classes += manifest["captions"][static_cast<size_t>(c)].get<std::string>() + "\n";
      write_text(work + "/classes.txt", classes);
      const auto r = run_cli("zeroshot " + reference_flags(dir, vocab, work) + " --classes " + work +
                             "/classes.txt --templates '{}' --top-k 5 --json --cache-dir " + work + "/cache " + dir + "/images");
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const auto lines = json_lines(r.out);
      REQUIRE(lines.size() == 4);
      const torch::Tensor logits = testing::load_expected(dir)["logits_per_image"].index_select(1, torch::tensor(columns));
      const torch::Tensor expected = logits.softmax(1);
      for (int64_t i = 0; i < 4; ++i) {
        CHECK(fs::path(lines[i]["image"].get<std::string>()).filename().string().rfind(std::string(name) + "_" + std::to_string(i), 0) == 0);
        const auto& predictions = lines[i]["predictions"];
        REQUIRE(predictions.size() == columns.size());
        for (const auto& p : predictions) {
          size_t c = 0;
          while (manifest["captions"][static_cast<size_t>(columns[c])] != p["label"]) ++c;
          CHECK(std::abs(p["probability"].get<double>() - expected[i][c].item<double>()) <= 1e-4);
          CHECK(std::abs(p["logit"].get<double>() - logits[i][c].item<double>()) <= 1e-4 + 1e-5 * std::abs(logits[i][c].item<double>()));
        }
        CHECK(predictions[0]["probability"].get<double>() >= predictions.back()["probability"].get<double>());
      }
    }
  }
}

TEST_CASE("a second zeroshot run takes the classifier from the cache without the text tower", "[eval][zeroshot][cli]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/models/vit_tiny");
  const std::string work = testing::temp_dir() + "/zs_cache";
  const std::string args = "zeroshot " + reference_flags(dir, vocab, work) + " --classes cat,dog,bird --templates small --cache-dir " +
                           work + "/cache " + dir + "/images";
  const auto first = run_cli(args), second = run_cli(args);
  REQUIRE(first.exit_code == 0);
  REQUIRE(second.exit_code == 0);
  CHECK_THAT(first.err, Catch::Contains("classifier computed"));
  CHECK_THAT(second.err, Catch::Contains("text tower not run"));
  CHECK(first.out == second.out);
  // Another class list is another classifier.
  const auto third = run_cli("zeroshot " + reference_flags(dir, vocab, work) + " --classes cat,dog --templates small --cache-dir " +
                             work + "/cache " + dir + "/images");
  CHECK_THAT(third.err, Catch::Contains("classifier computed"));

  // The library counts text-tower calls, so "not run" is measured, not just announced.
  ZeroshotOptions options;
  options.encoder = {work + "/config.json", dir + "/vit_tiny.safetensors", vocab};
  options.classes = "cat,dog,bird";
  options.templates = "small";
  options.cache_dir = work + "/cache";
  options.inputs = {dir + "/images"};
  std::ostringstream out, log;
  const ZeroshotSummary summary = run_zeroshot(options, out, log);
  CHECK(summary.classifier_from_cache);
  CHECK(summary.text_tower_calls == 0);
  CHECK(summary.classified == 4);
}

TEST_CASE("a briefly trained model classifies held-out colour images zero-shot", "[eval][zeroshot][e2e]") {
  const auto& model = testing::trained_colours();
  const std::string dir = testing::temp_dir() + "/zs_e2e";
  testing::write_colour_images(dir + "/images", 5);
  const auto r = run_cli("zeroshot --weights " + model.weights + " --vocab " + model.vocab +
                         " --classes red,green,blue,yellow --templates 'a photo of a {} square' --json --no-cache " + dir + "/images");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto lines = json_lines(r.out);
  REQUIRE(lines.size() == 20);
  int correct = 0;
  for (const auto& line : lines) {
    const std::string file = fs::path(line["image"].get<std::string>()).filename().string();
    correct += file.rfind(line["predictions"][0]["label"].get<std::string>() + "_", 0) == 0;
  }
  INFO(correct << " of 20 correct");
  CHECK(correct >= 14);  // chance is 5
}

TEST_CASE("zeroshot rejects bad input with one clear line and skips unreadable images", "[eval][zeroshot][cli]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(models, "reference/models");
  const std::string dir = models + "/vit_tiny", work = testing::temp_dir() + "/zs_bad";
  const std::string flags = reference_flags(dir, vocab, work) + " --no-cache ";
  const std::string image = dir + "/images/vit_tiny_0_gradient.png";

  auto r = run_cli("zeroshot " + flags + "--classes '' " + image);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("no class names"));

  r = run_cli("zeroshot " + flags + "--classes cat,,dog " + image);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("class 2 has an empty name"));

  write_text(work + "/templates.txt", "a photo of a {}\na photo\n");
  r = run_cli("zeroshot " + flags + "--classes cat,dog --templates " + work + "/templates.txt " + image);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'a photo' has no {}"));

  r = run_cli("zeroshot --weights " + work + "/missing.safetensors --vocab " + vocab + " --classes cat,dog " + image);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("missing.safetensors"));

  const std::string rn_config = write_text(work + "/rn.json", testing::load_manifest(models + "/rn_tiny")["open_clip_model_config"].dump());
  r = run_cli("zeroshot --model " + rn_config + " --weights " + dir + "/vit_tiny.safetensors --vocab " + vocab + " --classes cat,dog " + image);
  CHECK(r.exit_code == 4);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

  // A file that is not an image is reported and skipped; the others are still classified.
  const std::string fake = write_text(work + "/images/notes.png", "not an image");
  r = run_cli("zeroshot " + flags + "--classes cat,dog --json " + fake + " " + image);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("skipped image") && Catch::Contains("notes.png"));
  CHECK(json_lines(r.out).size() == 1);

  // Nothing readable at all is an error.
  r = run_cli("zeroshot " + flags + "--classes cat,dog " + fake + " " + work + "/absent.jpg");
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("none of the 2 images"));
}

TEST_CASE("eval zeroshot reports accuracy on an image folder and on labelled shards", "[eval][zeroshot][e2e]") {
  const auto& model = testing::trained_colours();
  const std::string dir = testing::temp_dir() + "/zs_eval";
  for (const auto& path : testing::write_colour_images(dir + "/flat", 4)) {
    const std::string file = fs::path(path).filename().string();
    fs::create_directories(dir + "/folder/" + file.substr(0, file.find('_')));
    fs::copy_file(path, dir + "/folder/" + file.substr(0, file.find('_')) + "/" + file);
  }
  const std::string flags = "--weights " + model.weights + " --vocab " + model.vocab +
                            " --classes red,green,blue,yellow --templates 'a photo of a {} square' ";
  auto r = run_cli("eval zeroshot " + flags + "--data " + dir + "/folder");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto metrics = nlohmann::json::parse(r.out);
  CHECK(metrics["samples"] == 16);
  CHECK(metrics["top1"].get<double>() > 0.6);  // chance is 0.25
  CHECK(metrics["confusion"].size() == 4);
  CHECK(metrics["per_class_top1"].contains("yellow"));

  // Held-out noise: none of these images is one the model was trained on.
  const std::string urls = testing::write_colour_shards(dir + "/shards", 8, testing::kHeldOutSeed);
  r = run_cli("eval zeroshot " + flags + "--data '" + urls + "'");
  REQUIRE(r.exit_code == 0);
  metrics = nlohmann::json::parse(r.out);
  CHECK(metrics["samples"] == 16);
  const double zeroshot_top1 = metrics["top1"].get<double>();
  CHECK(zeroshot_top1 > 0.6);

  r = run_cli("eval retrieval --weights " + model.weights + " --vocab " + model.vocab + " --data '" + urls + "'");
  REQUIRE(r.exit_code == 0);
  metrics = nlohmann::json::parse(r.out);
  CHECK(metrics["pairs"] == 16);
  // Each caption is the zero-shot prompt of its colour, and same-colour captions are identical
  // (ties count for the image): an image finds its caption first exactly when zero-shot
  // classification picks its colour. Two code paths, one expected figure.
  CHECK(metrics["image_to_text_R@1"].get<double>() == Approx(zeroshot_top1).margin(1e-9));
}

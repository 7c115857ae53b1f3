// `clipforge embed`, `score` and `rerank` end to end: parity of embeddings with the reference
// models, rankings a trained model must get right, and bad input.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <torch/torch.h>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"
#include "data/data_fixtures.h"
#include "data/tar_writer.h"
#include "eval/embed.h"
#include "eval/trained_colours.h"
#include "model/model_fixtures.h"
#include "support/colour_shards.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
using testing::lines_of;
using testing::run_cli;
using testing::write_text;
namespace fs = std::filesystem;

namespace {


torch::Tensor normalized(const torch::Tensor& t) { return t / t.norm(2, 1, true); }

}  // namespace

TEST_CASE("embed writes the reference models' normalised features", "[eval][embed][cli]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(vocab, "data/bpe_simple_vocab_16e6.txt.gz");
  CLIPFORGE_SHARED_PATH_OR_SKIP(models, "reference/models");
  for (const char* name : {"vit_tiny", "rn_tiny"}) {
    SECTION(name) {
      const std::string dir = models + "/" + name, work = testing::temp_dir() + "/embed_" + name;
      const auto manifest = testing::load_manifest(dir);
      auto expected = testing::load_expected(dir);
      const std::string config = write_text(work + "/config.json", manifest["open_clip_model_config"].dump());
      const std::string flags = "--model " + config + " --weights " + dir + "/" + name + ".safetensors --vocab " + vocab;
      std::string captions;
      for (const auto& c : manifest["captions"]) captions += c.get<std::string>() + "\n";
      write_text(work + "/captions.txt", captions);

      auto r = run_cli("embed " + flags + " --texts " + work + "/captions.txt --out " + work + "/text.npy");
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      CHECK(testing::tolerance_excess(read_embeddings(work + "/text.npy"), normalized(expected["text_features"])) <= 0);
      CHECK(lines_of(read_file(work + "/text.npy.ids.txt")).size() == 5);

      r = run_cli("embed " + flags + " --images " + dir + "/images --out " + work + "/image.npy --ids " + work + "/ids.txt --half");
      REQUIRE(r.exit_code == 0);
      CHECK(npy::read(work + "/image.npy").dtype == npy::Dtype::kFloat16);
      // float16 keeps ~3 decimal digits of a unit vector's components.
      CHECK(testing::tolerance_excess(read_embeddings(work + "/image.npy"), normalized(expected["image_features"]), 1e-3) <= 0);
      const auto ids = lines_of(read_file(work + "/ids.txt"));
      REQUIRE(ids.size() == 4);
      for (int i = 0; i < 4; ++i) CHECK(fs::path(ids[i]).filename().string().rfind(std::string(name) + "_" + std::to_string(i), 0) == 0);
    }
  }
}

TEST_CASE("embeddings files with the wrong dtype or shape are refused", "[eval][embed]") {
  const std::string work = testing::temp_dir() + "/embed_bad";
  fs::create_directories(work);
  const std::vector<int64_t> ints(6, 1);
  npy::write(work + "/ints.npy", npy::Dtype::kInt64, {2, 3}, ints.data());
  CHECK_THROWS_WITH(read_embeddings(work + "/ints.npy"), Catch::Contains("ints.npy") && Catch::Contains("int64"));
  const std::vector<float> cube(8, 0.5f);
  npy::write(work + "/cube.npy", npy::Dtype::kFloat32, {2, 2, 2}, cube.data());
  CHECK_THROWS_AS(read_embeddings(work + "/cube.npy"), Error);
  const auto r = run_cli("embed --weights x.safetensors --out " + work + "/o.npy");
  CHECK(r.exit_code == 2);
}

TEST_CASE("rerank puts the image matching the prompt first", "[eval][rerank][cli]") {
  const std::string work = testing::temp_dir() + "/rerank";
  // One square of each colour: red_0, green_0, blue_0, yellow_0.
  testing::write_colour_images(work + "/images", 1);
  for (const auto& colour : testing::colour_names()) {
    const auto r = run_cli("rerank " + testing::trained_colours_flags() + "--prompt 'a photo of a " + colour + " square' --json " + work + "/images");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto result = nlohmann::json::parse(r.out);
    REQUIRE(result["ranking"].size() == 4);
    CHECK(fs::path(result["ranking"][0]["image"].get<std::string>()).filename() == colour + "_0.png");
    CHECK(result["ranking"][0]["cosine"].get<double>() >= result["ranking"][1]["cosine"].get<double>());
  }

  std::string long_prompt;
  for (int i = 0; i < 40; ++i) long_prompt += "red blue ";
  // Batch mode: one line out per line in, in order; bad lines and missing images are reported.
  const std::string images = "[\"" + work + "/images/red_0.png\", \"" + work + "/images/blue_0.png\", \"" + work + "/images/gone.png\"]";
  write_text(work + "/batch.jsonl", "{\"prompt\": \"a photo of a blue square\", \"images\": " + images + "}\n" +
                                        "{\"prompt\": \"a photo of a red square\", \"images\": " + images + "}\n" +
                                        "{\"prompt\": 5}\n" + "{\"prompt\": \"\", \"images\": " + images + "}\n" +
                                        "{\"prompt\": \"" + long_prompt + "\", \"images\": " + images + "}\n");
  const auto r = run_cli("rerank " + testing::trained_colours_flags() + "--batch " + work + "/batch.jsonl --top-k 1");
  REQUIRE(r.exit_code == 0);
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 5);
  CHECK_THAT(nlohmann::json::parse(out[0])["ranking"][0]["image"].get<std::string>(), Catch::EndsWith("blue_0.png"));
  CHECK_THAT(nlohmann::json::parse(out[1])["ranking"][0]["image"].get<std::string>(), Catch::EndsWith("red_0.png"));
  CHECK(nlohmann::json::parse(out[1])["ranking"].size() == 1);
  CHECK(nlohmann::json::parse(out[2])["line"] == 3);
  CHECK_THAT(r.err, Catch::Contains("batch.jsonl:3") && Catch::Contains("gone.png") && Catch::Contains("empty text") &&
                        Catch::Contains("truncated"));
  CHECK(nlohmann::json::parse(out[4])["ranking"].size() == 1);
}

TEST_CASE("score gives a caption a higher CLIP score with its own image than with another", "[eval][score][cli]") {
  const std::string work = testing::temp_dir() + "/score";
  testing::write_colour_images(work + "/images", 1);
  std::string csv = "image_path,caption\n";
  for (const auto& colour : testing::colour_names()) csv += "images/" + colour + "_0.png,a photo of a " + colour + " square\n";
  // Scores are compared for one caption across images, as reranking does: a small model's
  // cosines are not calibrated across different captions.
  csv += "images/green_0.png,a photo of a red square\nimages/missing.png,a photo of a red square\n";
  write_text(work + "/pairs.csv", csv);
  const auto r = run_cli("score " + testing::trained_colours_flags() + "--pairs " + work + "/pairs.csv --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("missing.png"));
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 6);  // 5 readable pairs and the mean
  const auto matched = nlohmann::json::parse(out[0]), mismatched = nlohmann::json::parse(out[4]);
  CHECK(matched["clip_score"].get<double>() > mismatched["clip_score"].get<double>());
  CHECK(matched["clip_s"].get<double>() == Approx(matched["clip_score"].get<double>() * 0.025));
  const auto mean = nlohmann::json::parse(out[5])["mean"];
  CHECK(mean["pairs"] == 5);
  CHECK(mean["skipped"] == 1);
  // The mean is that of the pairs printed above it, not of the skipped one.
  double sum = 0;
  for (size_t i = 0; i < 5; ++i) sum += nlohmann::json::parse(out[i])["clip_score"].get<double>();
  CHECK(mean["clip_score"].get<double>() == Approx(sum / 5).epsilon(1e-6));
}

TEST_CASE("score reads OpenCLIP's tab-separated CSV and leaves out an image bomb with a warning naming it", "[eval][score][cli]") {
  const std::string work = testing::temp_dir() + "/score_tsv";
  testing::write_colour_images(work + "/images", 1);
  write_text(work + "/bomb.jpg", testing::bomb_bytes(".jpg", 60000, 60000));
  write_text(work + "/pairs.csv", "\xEF\xBB\xBF" "filepath\ttitle\nimages/red_0.png\ta photo of a red square\nbomb.jpg\ta red square\n");
  const auto r = run_cli("score " + testing::trained_colours_flags() + "--pairs " + work + "/pairs.csv --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.err, Catch::Contains("skipped image: " + work + "/bomb.jpg: 60000x60000 = 3600000000 pixels, over the limit of 89478485"));
  const auto out = lines_of(r.out);
  REQUIRE(out.size() == 2);  // the red pair and the mean
  CHECK(nlohmann::json::parse(out[1])["mean"]["skipped"] == 1);

  write_text(work + "/only_bomb.csv", "filepath\ttitle\nbomb.jpg\ta red square\n");
  const auto bomb_only = run_cli("score " + testing::trained_colours_flags() + "--pairs " + work + "/only_bomb.csv");
  CHECK(bomb_only.exit_code == 3);
  CHECK_THAT(bomb_only.err, Catch::EndsWith("clipforge: error: " + work + "/only_bomb.csv: none of the image-caption pairs could be read\n"));
  // The limit is the command's: lifted, the red square is scored at 256 pixels but not at 255.
  CHECK(run_cli("score " + testing::trained_colours_flags() + "--max-image-pixels 256 --pairs " + work + "/pairs.csv").exit_code == 0);
  write_text(work + "/red.csv", "filepath,title\nimages/red_0.png,a red square\n");
  CHECK(run_cli("score " + testing::trained_colours_flags() + "--max-image-pixels 255 --pairs " + work + "/red.csv").exit_code == 3);
}

TEST_CASE("search finds the images of the colour a text names", "[eval][search][cli]") {
  const std::string work = testing::temp_dir() + "/search";
  testing::write_colour_images(work + "/images", 2);
  auto r = run_cli("embed " + testing::trained_colours_flags() + "--images " + work + "/images --out " + work + "/images.npy");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(run_cli("index build --embeddings " + work + "/images.npy --out " + work + "/index").exit_code == 0);
  for (const auto& colour : testing::colour_names()) {
    r = run_cli("search " + testing::trained_colours_flags() + "--index " + work + "/index --text 'a photo of a " + colour + " square' --k 2 --json");
    REQUIRE(r.exit_code == 0);
    const auto result = nlohmann::json::parse(r.out);
    CHECK(result["query"] == "a photo of a " + colour + " square");
    REQUIRE(result["results"].size() == 2);
    for (const auto& hit : result["results"]) CHECK(fs::path(hit["id"].get<std::string>()).filename().string().rfind(colour + "_", 0) == 0);
  }
  // An image query finds itself first.
  r = run_cli("search " + testing::trained_colours_flags() + "--index " + work + "/index --image " + work + "/images/blue_1.png --k 1 --json");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(nlohmann::json::parse(r.out)["results"][0]["id"].get<std::string>(), Catch::EndsWith("blue_1.png"));
}

TEST_CASE("score over shards reads pairs through the loader and agrees with the CSV route", "[eval][score][cli]") {
  const std::string work = testing::temp_dir() + "/score_shards";
  testing::write_colour_images(work + "/images", 1);
  const auto& colours = testing::colour_names();
  // Per colour c: its own image with its caption ("m_c"), and the next colour's image with c's
  // caption ("x_c"); one sample whose image is not an image at all.
  std::string csv = "image_path,caption\n";
  data::TarWriter shard(work + "/00000.tar");
  for (size_t c = 0; c < colours.size(); ++c) {
    const std::string caption = "a photo of a " + colours[c] + " square";
    const std::string own = "images/" + colours[c] + "_0.png", next = "images/" + colours[(c + 1) % colours.size()] + "_0.png";
    shard.add("m_" + colours[c] + ".png", read_file(work + "/" + own));
    shard.add("m_" + colours[c] + ".txt", caption);
    shard.add("x_" + colours[c] + ".png", read_file(work + "/" + next));
    shard.add("x_" + colours[c] + ".txt", caption);
    csv += own + "," + caption + "\n" + next + "," + caption + "\n";
  }
  shard.add("bad.png", "not a png");
  shard.add("bad.txt", "a photo of a red square");
  shard.commit();
  write_text(work + "/pairs.csv", csv);

  const auto from_shards = run_cli("score " + testing::trained_colours_flags() + "--workers 1 --json --pairs '" + work + "/{00000..00000}.tar'");
  INFO(from_shards.err);
  REQUIRE(from_shards.exit_code == 0);
  CHECK_THAT(from_shards.err, Catch::Contains("bad") && Catch::Contains("undecodable"));
  const auto from_csv = run_cli("score " + testing::trained_colours_flags() + "--json --pairs " + work + "/pairs.csv");
  REQUIRE(from_csv.exit_code == 0);

  std::map<std::string, double> cosine_of_key;
  const auto lines = lines_of(from_shards.out);
  REQUIRE(lines.size() == 2 * colours.size() + 1);
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const auto pair = nlohmann::json::parse(lines[i]);
    cosine_of_key[pair["image"].get<std::string>()] = pair["cosine"].get<double>();
  }
  const auto csv_lines = lines_of(from_csv.out);
  REQUIRE(csv_lines.size() == lines.size());
  for (size_t c = 0; c < colours.size(); ++c) {
    const double own = cosine_of_key.at("m_" + colours[c]), other = cosine_of_key.at("x_" + colours[c]);
    CHECK(own > other);
    // The loader's eval transform and the file route give the same pixels, so the same cosines.
    CHECK(own == Approx(nlohmann::json::parse(csv_lines[2 * c])["cosine"].get<double>()).margin(1e-6));
    CHECK(other == Approx(nlohmann::json::parse(csv_lines[2 * c + 1])["cosine"].get<double>()).margin(1e-6));
  }
  const auto mean = nlohmann::json::parse(lines.back())["mean"];
  CHECK(mean["pairs"] == 2 * colours.size());
  CHECK(mean["skipped"] == 1);
  CHECK(mean["clip_score"].get<double>() == Approx(nlohmann::json::parse(csv_lines.back())["mean"]["clip_score"].get<double>()).margin(1e-4));

  const auto missing = run_cli("score " + testing::trained_colours_flags() + "--pairs '" + work + "/{00007..00008}.tar'");
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("00007.tar"));
}

// `clipforge shards make/check` and `clipforge preprocess` as a user runs them.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/files.h"
#include "core/npy.h"
#include "data/data_fixtures.h"
#include "data/preprocess.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
namespace fs = std::filesystem;

namespace {

void write_jpeg(const std::string& path, int width, int height, int shade) {
  const cv::Mat image(height, width, CV_8UC3, cv::Scalar(shade, 255 - shade, 90));
  cv::imwrite(path, image);
}

std::string cli_dir(const std::string& name) {
  const std::string dir = testing::temp_dir() + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("shards make --csv writes img2dataset shards, stats and sizes.json, check reads them", "[cli][data]") {
  const std::string dir = cli_dir("cli_make_csv");
  for (int i = 0; i < 3; ++i) write_jpeg(dir + "/p" + std::to_string(i) + ".jpg", 40, 30, 60 * i);
  std::ofstream(dir + "/pairs.csv") << "image_path,caption\np0.jpg,first\np1.jpg,\"second, with comma\"\nmissing.jpg,x\np2.jpg,third\n";

  const auto made = testing::run_cli("shards make --csv " + dir + "/pairs.csv --out " + dir + "/out --shard-size 2 --max-side 20");
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  const auto summary = nlohmann::json::parse(made.out);
  CHECK(summary["shards"] == 2);
  CHECK(summary["samples"] == 3);
  CHECK(summary["skipped"] == 1);
  CHECK(made.err.find("missing.jpg") != std::string::npos);
  CHECK(nlohmann::json::parse(read_file(dir + "/out/sizes.json")) == nlohmann::json{{"00000.tar", 2}, {"00001.tar", 1}});
  CHECK(nlohmann::json::parse(read_file(dir + "/out/00001_stats.json"))["successes"] == 1);

  const auto checked = testing::run_cli("shards check '" + dir + "/out/{00000..00001}.tar' --json");
  INFO(checked.err);
  REQUIRE(checked.exit_code == 0);
  const auto report = nlohmann::json::parse(checked.out);
  CHECK(report["samples"] == 3);
  CHECK(report["ok"] == 3);
  CHECK(report["skipped"].empty());
  CHECK(report["per_shard"][dir + "/out/00000.tar"]["ok"] == 2);

  const auto human = testing::run_cli("shards check " + dir + "/out/00001.tar::" + dir + "/out/nope.tar");
  CHECK(human.exit_code == 0);
  CHECK(human.out.find("shards 2, samples 1, ok 1") != std::string::npos);
  CHECK(human.out.find("skipped missing_shard: 1") != std::string::npos);
}

TEST_CASE("shards make --imagefolder takes captions from STEM.txt or the folder name", "[cli][data]") {
  const std::string dir = cli_dir("cli_make_folder");
  fs::create_directories(dir + "/in/red_car");
  fs::create_directories(dir + "/in/dog");
  write_jpeg(dir + "/in/red_car/a.jpg", 64, 48, 10);
  write_jpeg(dir + "/in/dog/b.png", 20, 20, 200);
  std::ofstream(dir + "/in/dog/b.txt") << "a good dog\n";
  const auto made = testing::run_cli("shards make --imagefolder " + dir + "/in --out " + dir + "/out --max-side 32");
  INFO(made.err);
  REQUIRE(made.exit_code == 0);
  // Path order: dog/b.png first. Keys: shard 00000, index zero-padded to 4 digits.
  const auto checked = testing::run_cli("shards check " + dir + "/out/00000.tar --json");
  REQUIRE(checked.exit_code == 0);
  CHECK(nlohmann::json::parse(checked.out)["ok"] == 2);
  const std::string tar = read_file(dir + "/out/00000.tar");
  CHECK(tar.find("000000000.jpg") != std::string::npos);
  CHECK(tar.find("000000001.txt") != std::string::npos);
  CHECK(tar.find("a good dog") != std::string::npos);
  CHECK(tar.find("red car") != std::string::npos);
  CHECK(tar.find("\"height\":24") != std::string::npos);  // 64 x 48 shrunk to a longer side of 32
  CHECK(tar.find("\"width\":32") != std::string::npos);
  CHECK(tar.find("\"original_width\":64") != std::string::npos);
}

TEST_CASE("shards make refuses a missing or doubled source with a usage error", "[cli][data]") {
  const auto none = testing::run_cli("shards make --out " + testing::temp_dir() + "/never");
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("exactly one of --csv and --imagefolder") != std::string::npos);
}

TEST_CASE("preprocess writes the eval transform as .npy and the crop as PNG", "[cli][data]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(image, "reference/preprocess/chelsea_portrait_crop.jpg");
  const std::string dir = cli_dir("cli_preprocess");
  const auto run = testing::run_cli("preprocess " + image + " --image-size 224 --out " + dir + "/x.npy --png " + dir + "/crop.png");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const npy::Array array = npy::read(dir + "/x.npy");
  CHECK(array.dtype == npy::Dtype::kFloat32);
  REQUIRE(array.shape == std::vector<std::int64_t>{3, 224, 224});
  const data::Preprocessed expected = data::preprocess_file(image, 224, data::kDefaultMaxImagePixels);
  CHECK(std::equal(expected.tensor.begin(), expected.tensor.end(), array.as<float>()));
  const cv::Mat png = cv::imread(dir + "/crop.png", cv::IMREAD_COLOR);  // BGR
  REQUIRE(png.size() == cv::Size(224, 224));
  CHECK(png.at<cv::Vec3b>(100, 50)[2] == expected.crop[100 * 224 + 50]);
  CHECK(png.at<cv::Vec3b>(100, 50)[0] == expected.crop[2 * 224 * 224 + 100 * 224 + 50]);
}

TEST_CASE("preprocess of a missing or undecodable file fails with one line naming it", "[cli][data]") {
  const std::string dir = cli_dir("cli_preprocess_bad");
  const auto missing = testing::run_cli("preprocess " + dir + "/none.jpg --out " + dir + "/x.npy");
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find(dir + "/none.jpg") != std::string::npos);
  std::ofstream(dir + "/bad.jpg") << "not an image";
  const auto bad = testing::run_cli("preprocess " + dir + "/bad.jpg --out " + dir + "/x.npy");
  CHECK(bad.exit_code == 3);
  CHECK(bad.err == "clipforge: error: " + dir + "/bad.jpg: not a JPEG, PNG, WebP or BMP image (other formats decode only with "
                   "--max-image-pixels 0)\n");
  std::ofstream(dir + "/broken.jpg") << "\xFF\xD8\xFF\xE0 damaged";
  const auto broken = testing::run_cli("preprocess " + dir + "/broken.jpg --out " + dir + "/x.npy");
  CHECK(broken.exit_code == 3);
  CHECK(broken.err == "clipforge: error: " + dir + "/broken.jpg: not a decodable image\n");
  CHECK(!fs::exists(dir + "/x.npy"));
}

TEST_CASE("preprocess refuses JPEG, PNG and WebP bombs from their headers: exit 3, one line naming file and size", "[cli][data]") {
  const std::string dir = cli_dir("cli_preprocess_bomb");
  const std::pair<std::string, std::string> bombs[] = {
      {"bomb.jpg", testing::bomb_bytes(".jpg", 60000, 60000)},
      {"bomb.png", testing::bomb_bytes(".png", 60000, 60000)},
      {"bomb.webp", testing::bomb_bytes(".webp", 16383, 16383)},
  };
  const std::string pixels[] = {"60000x60000 = 3600000000 pixels", "60000x60000 = 3600000000 pixels", "16383x16383 = 268402689 pixels"};
  for (int i = 0; i < 3; ++i) {
    const std::string path = testing::write_text(dir + "/" + bombs[i].first, bombs[i].second);
    INFO(path << " (" << bombs[i].second.size() << " bytes)");
    CHECK(bombs[i].second.size() < 1000);
    const auto start = std::chrono::steady_clock::now();
    const auto run = testing::run_cli("preprocess " + path + " --out " + dir + "/x.npy");
    // Decoding a 60000 x 60000 JPEG took 85 s and 10.8 GB; refusing it is start-up time only.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
    CHECK(run.exit_code == 3);
    CHECK(run.err == "clipforge: error: " + path + ": " + pixels[i] + ", over the limit of 89478485 (--max-image-pixels)\n");
  }
  CHECK(!fs::exists(dir + "/x.npy"));
}

TEST_CASE("preprocess --max-image-pixels sets the limit, inclusive", "[cli][data]") {
  const std::string dir = cli_dir("cli_preprocess_limit");
  write_jpeg(dir + "/small.jpg", 64, 48, 10);  // 3072 pixels
  const auto over = testing::run_cli("preprocess " + dir + "/small.jpg --max-image-pixels 3071 --out " + dir + "/x.npy");
  CHECK(over.exit_code == 3);
  CHECK(over.err == "clipforge: error: " + dir + "/small.jpg: 64x48 = 3072 pixels, over the limit of 3071 (--max-image-pixels)\n");
  CHECK(testing::run_cli("preprocess " + dir + "/small.jpg --max-image-pixels 3072 --out " + dir + "/x.npy").exit_code == 0);
  CHECK(testing::run_cli("preprocess " + dir + "/small.jpg --max-image-pixels 0 --out " + dir + "/y.npy").exit_code == 0);
}

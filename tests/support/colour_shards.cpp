#include "support/colour_shards.h"

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "data/tar_writer.h"

namespace clipforge::testing {
namespace fs = std::filesystem;

namespace {
const std::vector<std::string> kColourNames = {"red", "green", "blue", "yellow"};
const cv::Vec3b kBgr[] = {{30, 30, 220}, {30, 200, 30}, {220, 40, 30}, {30, 220, 220}};
}  // namespace

cv::Mat noisy_colour_square(int label, std::mt19937& rng) {
  std::uniform_int_distribution<int> noise(-25, 25);
  cv::Mat image(16, 16, CV_8UC3);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 16; ++x)
      for (int c = 0; c < 3; ++c) image.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(kBgr[label][c] + noise(rng));
  return image;
}

// Two shards of `per_shard` 16x16 PNGs, each a noisy solid colour, captioned "a photo of a
// <colour> square", json {"label": colour index}.
std::string write_colour_shards(const std::string& dir, int per_shard, unsigned seed) {
  fs::create_directories(dir);
  std::mt19937 rng(seed);
  for (int shard = 0; shard < 2; ++shard) {
    data::TarWriter writer(dir + "/0000" + std::to_string(shard) + ".tar");
    for (int i = 0; i < per_shard; ++i) {
      const int label = (i + shard) % static_cast<int>(kColourNames.size());
      const cv::Mat image = noisy_colour_square(label, rng);
      std::vector<uchar> png;
      cv::imencode(".png", image, png);
      const std::string key = "s" + std::to_string(shard) + "_" + std::to_string(1000 + i);
      writer.add(key + ".png", std::string_view(reinterpret_cast<char*>(png.data()), png.size()));
      writer.add(key + ".txt", "a photo of a " + kColourNames[label] + " square");
      writer.add(key + ".json", "{\"label\": " + std::to_string(label) + "}");
    }
    writer.commit();
  }
  return dir + "/{00000..00001}.tar";
}

const std::vector<std::string>& colour_names() { return kColourNames; }

std::string write_tiny_model_config(const std::string& dir) {
  const std::string path = dir + "/tiny.json";
  std::ofstream(path) << R"({"embed_dim": 16, "quick_gelu": true,
    "vision_cfg": {"image_size": 16, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1}})";
  return path;
}

}  // namespace clipforge::testing

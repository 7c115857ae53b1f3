// The eval transform against the reference pipeline's tensors: decode, PIL bicubic resize,
// centre crop and normalisation must agree to 1e-6 on every file, and the JPEG decode itself
// must equal the reference decoder's pixels.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/files.h"
#include "data/decode.h"
#include "data/pixel_normalize.h"
#include "data/transforms.h"
#include "support/reference.h"

namespace {

struct StoredTensor {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;
};

// Just enough safetensors to read the reference file (the format is in the reference README).
std::map<std::string, StoredTensor> read_safetensors(const std::string& path) {
  const std::string file = clipforge::read_file(path);
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), 8);
  const auto header = nlohmann::json::parse(file.substr(8, header_size));
  const std::size_t data_start = 8 + header_size;
  std::map<std::string, StoredTensor> tensors;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") continue;
    const auto begin = entry["data_offsets"][0].get<std::size_t>(), end = entry["data_offsets"][1].get<std::size_t>();
    tensors[name] = {entry["dtype"], entry["shape"].get<std::vector<std::int64_t>>(),
                     file.substr(data_start + begin, end - begin)};
  }
  return tensors;
}

}  // namespace

TEST_CASE("the eval transform reproduces the reference tensors of all 8 files to 1e-6", "[data][preprocess]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/preprocess");
  const auto tensors = read_safetensors(dir + "/preprocess.safetensors");
  const char* files[] = {"chelsea.png", "chelsea.jpg", "coffee.png", "coffee.jpg", "astronaut.png", "astronaut.jpg",
                         "chelsea_portrait_crop.png", "chelsea_portrait_crop.jpg"};
  for (const char* file : files) {
    INFO("file: " << file);
    const cv::Mat rgb = clipforge::data::decode_rgb(clipforge::read_file(dir + "/" + file)).rgb;
    REQUIRE(!rgb.empty());
    std::vector<std::uint8_t> crop(3 * 224 * 224);
    clipforge::data::eval_transform(rgb, 224, crop.data());
    std::vector<float> actual(crop.size());
    clipforge::data::normalize_pixels_chw(crop.data(), 224 * 224, actual.data());

    const StoredTensor& expected = tensors.at(file);
    REQUIRE(expected.shape == std::vector<std::int64_t>{3, 224, 224});
    const float* want = reinterpret_cast<const float*>(expected.bytes.data());
    float max_diff = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) max_diff = std::max(max_diff, std::fabs(actual[i] - want[i]));
    INFO("max abs diff " << max_diff);
    CHECK(max_diff <= 1e-6f);
  }
}

TEST_CASE("JPEG decoding equals the reference decoder's pixels", "[data][preprocess]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(dir, "reference/preprocess");
  const auto tensors = read_safetensors(dir + "/preprocess.safetensors");
  for (const char* file : {"chelsea.jpg", "coffee.jpg", "astronaut.jpg", "chelsea_portrait_crop.jpg"}) {
    INFO("file: " << file);
    const cv::Mat rgb = clipforge::data::decode_rgb(clipforge::read_file(dir + "/" + file)).rgb;
    const StoredTensor& expected = tensors.at(std::string(file) + ".decoded_u8");
    REQUIRE(expected.shape.size() == 3);
    REQUIRE(expected.shape[2] == 3);  // the set is colour only
    REQUIRE(rgb.rows == expected.shape[0]);
    REQUIRE(rgb.cols == expected.shape[1]);
    REQUIRE(rgb.isContinuous());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < expected.bytes.size(); ++i) differing += rgb.data[i] != static_cast<std::uint8_t>(expected.bytes[i]);
    CHECK(differing == 0);
  }
}

TEST_CASE("the eval transform crops the resized portrait at the half-even offset", "[data][preprocess]") {
  // 131 x 200 -> 224 x 341: top offset (341 - 224) / 2 = 58.5 rounds to 58.
  const cv::Size resized = clipforge::data::eval_resized_size(131, 200, 224);
  CHECK(resized == cv::Size(224, 341));
  CHECK(clipforge::data::eval_resized_size(451, 300, 224) == cv::Size(336, 224));
  CHECK(clipforge::data::eval_resized_size(512, 512, 224) == cv::Size(224, 224));
}

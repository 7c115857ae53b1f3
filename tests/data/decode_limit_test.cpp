// The decoded-pixel limit: image sizes read from headers, bombs (a few hundred bytes claiming
// billions of pixels) refused before any pixel buffer exists, and the loader counting them.
#include <catch2/catch.hpp>

#include <chrono>
#include <opencv2/imgcodecs.hpp>

#include "data/data_fixtures.h"
#include "data/decode.h"
#include "data/image_header.h"
#include "data/loader.h"
#include "data/tar_writer.h"

using namespace clipforge;

namespace {
std::string encoded(const std::string& ext, int width, int height, std::vector<int> params = {}) {
  std::vector<unsigned char> bytes;
  REQUIRE(cv::imencode(ext, cv::Mat(height, width, CV_8UC3, cv::Scalar(1, 2, 3)), bytes, params));
  return std::string(bytes.begin(), bytes.end());
}

data::DecodeOptions limit(std::uint64_t max_pixels) {
  data::DecodeOptions options;
  options.max_pixels = max_pixels;
  return options;
}
}  // namespace

TEST_CASE("header sizes of JPEG, PNG, WebP (VP8, VP8L, VP8X) and BMP are read without decoding", "[data][decode]") {
  const std::pair<std::string, std::vector<int>> formats[] = {
      {".jpg", {}}, {".png", {}}, {".bmp", {}}, {".webp", {cv::IMWRITE_WEBP_QUALITY, 90}}, {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}}};
  for (const auto& [ext, params] : formats) {
    INFO(ext);
    const auto size = data::header_size(encoded(ext, 37, 21, params));
    REQUIRE(size);
    CHECK(size->width == 37);
    CHECK(size->height == 21);
  }
  const auto vp8x = data::header_size(testing::webp_vp8x_bytes(70000, 3));
  REQUIRE(vp8x);
  CHECK(vp8x->pixels() == 210000u);
  const auto bmp_top_down = data::header_size(testing::bomb_bytes(".bmp", 5, -7));
  REQUIRE(bmp_top_down);
  CHECK(bmp_top_down->height == 7);
  CHECK_FALSE(data::header_size(encoded(".ppm", 4, 4)));
  CHECK_FALSE(data::header_size("RIFF....WEBPVP8 "));  // too short to hold the size
  CHECK_FALSE(data::header_size(testing::bomb_bytes(".png", 0, 5)));
}

TEST_CASE("bombs in every format are refused from the header, quickly and naming the size", "[data][decode]") {
  struct Bomb {
    std::string bytes;
    std::uint64_t pixels;
  };
  const Bomb bombs[] = {
      {testing::bomb_bytes(".jpg", 60000, 60000), 3600000000u},  {testing::bomb_bytes(".png", 60000, 60000), 3600000000u},
      {testing::bomb_bytes(".bmp", 60000, 60000), 3600000000u},  {testing::bomb_bytes(".webp", 16383, 16383), 268402689u},
      {testing::bomb_bytes(".webpl", 16384, 16384), 268435456u}, {testing::webp_vp8x_bytes(60000, 60000), 3600000000u},
  };
  for (const Bomb& bomb : bombs) {
    INFO(bomb.bytes.substr(0, 16));
    CHECK(bomb.bytes.size() < 1000);
    const auto start = std::chrono::steady_clock::now();
    const data::DecodedImage image = data::decode_rgb(bomb.bytes);  // the default limit
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
    CHECK(image.status == data::DecodeStatus::kTooManyPixels);
    CHECK(image.size.pixels() == bomb.pixels);
    CHECK(image.rgb.empty());
    CHECK_THAT(data::decode_failure(image, {}),
               Catch::Contains(std::to_string(bomb.pixels) + " pixels, over the limit of 89478485"));
  }
}

TEST_CASE("the pixel limit is inclusive and applies to the full size, also for reduced JPEG decodes", "[data][decode]") {
  const std::string jpeg = testing::jpeg_bytes(64, 48, 1);  // 3072 pixels
  const std::string png = encoded(".png", 64, 48);
  const std::string webp = encoded(".webp", 64, 48, {cv::IMWRITE_WEBP_QUALITY, 90});
  for (const std::string* bytes : {&jpeg, &png, &webp}) {
    CHECK(data::decode_rgb(*bytes, limit(3072)).status == data::DecodeStatus::kOk);
    CHECK(data::decode_rgb(*bytes, limit(3071)).status == data::DecodeStatus::kTooManyPixels);
    CHECK(data::decode_rgb(*bytes, limit(0)).rgb.size() == cv::Size(64, 48));
  }
  data::DecodeOptions reduced = limit(3071);
  reduced.min_side = 12;  // 16 x 12 decoded, but PIL counts the header's 64 x 48 too
  CHECK(data::decode_rgb(jpeg, reduced).status == data::DecodeStatus::kTooManyPixels);
}

TEST_CASE("formats whose size is not read before decoding are refused under a limit, decoded without", "[data][decode]") {
  const std::string ppm = encoded(".ppm", 6, 4);
  const data::DecodedImage refused = data::decode_rgb(ppm);
  CHECK(refused.status == data::DecodeStatus::kUnknownSize);
  CHECK_THAT(data::decode_failure(refused, {}), Catch::Contains("--max-image-pixels 0"));
  const data::DecodedImage unchecked = data::decode_rgb(ppm, limit(0));
  CHECK(unchecked.status == data::DecodeStatus::kOk);
  CHECK(unchecked.rgb.at<cv::Vec3b>(0, 0) == cv::Vec3b(3, 2, 1));
}

TEST_CASE("the loader counts bombs as too_many_pixels and keeps the other samples", "[data][decode][limits]") {
  const std::string dir = testing::fresh_dir("bombs");
  {
    data::TarWriter writer(dir + "/b.tar");
    const std::pair<std::string, std::string> images[] = {
        {"good1.jpg", testing::jpeg_bytes(20, 16, 1)}, {"jbomb.jpg", testing::bomb_bytes(".jpg", 60000, 60000)},
        {"pbomb.png", testing::bomb_bytes(".png", 60000, 60000)}, {"wbomb.webp", testing::webp_vp8x_bytes(60000, 60000)},
        {"good2.jpg", testing::jpeg_bytes(20, 16, 2)}, {"bad.jpg", "\xFF\xD8 not a jpeg"}};
    for (const auto& [name, bytes] : images) {
      writer.add(name, bytes);
      writer.add(name.substr(0, name.find('.')) + ".txt", "caption");
    }
    writer.commit();
  }
  for (bool train : {true, false}) {
    INFO("train " << train);
    std::vector<std::string> warnings;
    data::LoaderConfig config = testing::test_config(dir + "/b.tar");
    config.train = train;
    config.drop_last = false;
    config.shuffle_buffer = 0;
    config.workers = 1;  // one reader for the one shard: no plan warning about sharing it
    config.on_warning = [&warnings](const std::string& w) { warnings.push_back(w); };
    data::Loader loader(config);
    std::vector<std::string> keys = testing::epoch_keys(loader, 0);
    CHECK(keys == std::vector<std::string>{"good1", "good2"});
    CHECK(loader.skipped() == nlohmann::json{{"too_many_pixels", 3}, {"undecodable_image", 1}});
    INFO(Catch::Detail::stringify(warnings));
    REQUIRE(warnings.size() == 4);
    CHECK_THAT(warnings[0], Catch::Contains("too_many_pixels") && Catch::Contains("jbomb") &&
                                Catch::Contains("60000x60000 = 3600000000 pixels"));
  }
}

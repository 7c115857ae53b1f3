// Decoding and the train transform: reduced JPEG decodes, crop geometry, channel order.
#include <catch2/catch.hpp>

#include <opencv2/imgcodecs.hpp>

#include "data/data_fixtures.h"
#include "data/decode.h"
#include "data/pixel_normalize.h"
#include "data/pil_resize.h"
#include "data/transforms.h"

using namespace clipforge;

TEST_CASE("JPEG size comes from the frame header, the reduction keeps the target size", "[data][decode]") {
  const std::string jpeg = testing::jpeg_bytes(640, 480, 1);
  const auto size = data::jpeg_size(jpeg);
  REQUIRE(size);
  CHECK(size->width == 640);
  CHECK(size->height == 480);
  CHECK(data::dct_reduction(*size, 224) == 2);
  CHECK(data::dct_reduction(*size, 60) == 8);
  CHECK(data::dct_reduction(*size, 481) == 1);
  CHECK(data::dct_reduction(*size, 0) == 1);
  CHECK(data::dct_reduction({1024, 768}, 224) == 2);
  CHECK(data::dct_reduction({1001, 999}, 125) == 8);  // libjpeg rounds up: 126 x 125
  data::DecodeOptions half;
  half.min_side = 240;
  CHECK(data::decode_rgb(jpeg, half).rgb.size() == cv::Size(320, 240));
  CHECK(data::decode_rgb(testing::jpeg_bytes(1001, 999, 2), {125, false}).rgb.size() == cv::Size(126, 125));
}

TEST_CASE("decoding gives RGB: grayscale is replicated and alpha dropped", "[data][decode]") {
  cv::Mat bgra(4, 4, CV_8UC4, cv::Scalar(10, 20, 30, 128));  // B, G, R, A
  std::vector<unsigned char> png;
  cv::imencode(".png", bgra, png);
  const cv::Mat rgb = data::decode_rgb(std::string(png.begin(), png.end())).rgb;
  REQUIRE(rgb.type() == CV_8UC3);
  CHECK(rgb.at<cv::Vec3b>(0, 0) == cv::Vec3b(30, 20, 10));
  cv::Mat gray(4, 4, CV_8UC1, cv::Scalar(77));
  cv::imencode(".png", gray, png);
  CHECK(data::decode_rgb(std::string(png.begin(), png.end())).rgb.at<cv::Vec3b>(3, 3) == cv::Vec3b(77, 77, 77));
  CHECK(data::decode_rgb("").status == data::DecodeStatus::kUndecodable);
  CHECK(data::decode_rgb("\xFF\xD8garbage").status == data::DecodeStatus::kUndecodable);
  CHECK(data::decode_rgb("\xFF\xD8garbage").rgb.empty());
}

TEST_CASE("random resized crops cover 90-100% of the area at ratios 3/4..4/3", "[data][transforms]") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    const cv::Rect crop = data::random_resized_crop(640, 480, 0.9, 1.0, rng);
    CHECK(crop.x >= 0);
    CHECK(crop.y >= 0);
    CHECK(crop.x + crop.width <= 640);
    CHECK(crop.y + crop.height <= 480);
    const double fraction = crop.area() / (640.0 * 480.0);
    CHECK(fraction >= 0.89);
    CHECK(fraction <= 1.0);
    const double ratio = static_cast<double>(crop.width) / crop.height;
    CHECK(ratio >= 0.74);
    CHECK(ratio <= 1.35);
  }
  // Impossible draws (a 1000 x 10 strip) fall back to the centre crop with the ratio clamped.
  std::mt19937_64 other(1);
  CHECK(data::random_resized_crop(1000, 10, 0.9, 1.0, other) == cv::Rect(493, 0, 13, 10));
}

TEST_CASE("the train transform writes RGB planes of the target size", "[data][transforms]") {
  const cv::Mat red(50, 60, CV_8UC3, cv::Scalar(200, 10, 20));  // already RGB
  std::vector<std::uint8_t> out(3 * 16 * 16);
  std::mt19937_64 rng(1);
  data::train_transform(red, 16, 0.9, 1.0, rng, out.data());
  CHECK(out[0] == 200);
  CHECK(out[16 * 16] == 10);
  CHECK(out[2 * 16 * 16 + 255] == 20);
}

TEST_CASE("normalisation maps uint8 through the CLIP mean and std", "[data][transforms]") {
  const std::uint8_t pixels[3] = {0, 255, 128};
  float out[3];
  data::normalize_pixels_chw(pixels, 1, out);
  CHECK(out[0] == Approx(-0.48145466 / 0.26862954).epsilon(1e-6));
  CHECK(out[1] == Approx((1 - 0.4578275) / 0.26130258).epsilon(1e-6));
  CHECK(out[2] == Approx((128 / 255.0 - 0.40821073) / 0.27577711).epsilon(1e-5));
}

TEST_CASE("the PIL resize keeps constant images constant and skips unchanged axes", "[data][transforms]") {
  const cv::Mat flat(31, 47, CV_8UC3, cv::Scalar(9, 99, 250));
  const cv::Mat down = data::pil_bicubic_resize(flat, 13, 7);
  const cv::Mat up = data::pil_bicubic_resize(flat, 100, 80);
  CHECK(cv::countNonZero(down.reshape(1) != cv::Mat(7, 13, CV_8UC3, cv::Scalar(9, 99, 250)).reshape(1)) == 0);
  CHECK(cv::countNonZero(up.reshape(1) != cv::Mat(80, 100, CV_8UC3, cv::Scalar(9, 99, 250)).reshape(1)) == 0);
  const cv::Mat same = data::pil_bicubic_resize(flat, 47, 31);
  CHECK(cv::countNonZero(same.reshape(1) != flat.reshape(1)) == 0);
}

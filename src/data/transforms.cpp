#include "data/transforms.h"

#include <cmath>
#include <vector>

#include "data/pil_resize.h"
#include "data/pixel_normalize.h"

namespace clipforge::data {
namespace {
// 16-bit weights: twice the vector width of PIL's 22-bit ones, precision far below a uint8 level.
constexpr int kFastPrecisionBits = 14;
}  // namespace

cv::Size eval_resized_size(int width, int height, int size) {
  if (width <= height) return {size, static_cast<int>(static_cast<double>(size) * height / width)};
  return {static_cast<int>(static_cast<double>(size) * width / height), size};
}

void to_chw(const cv::Mat& rgb, std::uint8_t* out) {
  const std::size_t plane = static_cast<std::size_t>(rgb.rows) * rgb.cols;
  std::vector<cv::Mat> planes;
  for (int c = 0; c < 3; ++c) planes.emplace_back(rgb.rows, rgb.cols, CV_8UC1, out + c * plane);
  cv::split(rgb, planes);  // writes into the planes' memory, i.e. into `out`
}

void eval_transform(const cv::Mat& rgb, int size, std::uint8_t* out) {
  const cv::Size resized_size = eval_resized_size(rgb.cols, rgb.rows, size);
  const cv::Mat resized = pil_bicubic_resize(rgb, resized_size.width, resized_size.height);
  // Python's round(): half to even, which nearbyint does in the default rounding mode.
  const int left = static_cast<int>(std::nearbyint((resized.cols - size) / 2.0));
  const int top = static_cast<int>(std::nearbyint((resized.rows - size) / 2.0));
  to_chw(resized(cv::Rect(left, top, size, size)), out);
}

cv::Rect random_resized_crop(int width, int height, double scale_min, double scale_max, std::mt19937_64& rng) {
  const double area = static_cast<double>(width) * height;
  const double log_ratio_min = std::log(3.0 / 4.0), log_ratio_max = std::log(4.0 / 3.0);
  std::uniform_real_distribution<double> scale_dist(scale_min, scale_max);
  std::uniform_real_distribution<double> log_ratio_dist(log_ratio_min, log_ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * scale_dist(rng);
    const double ratio = std::exp(log_ratio_dist(rng));
    const int w = static_cast<int>(std::lround(std::sqrt(target_area * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target_area / ratio)));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const int top = std::uniform_int_distribution<int>(0, height - h)(rng);
      const int left = std::uniform_int_distribution<int>(0, width - w)(rng);
      return {left, top, w, h};
    }
  }
  // Fallback: the centre crop with the ratio clamped into range.
  const double in_ratio = static_cast<double>(width) / height;
  int w = width, h = height;
  if (in_ratio < 3.0 / 4.0) h = static_cast<int>(std::lround(w / (3.0 / 4.0)));
  else if (in_ratio > 4.0 / 3.0) w = static_cast<int>(std::lround(h * (4.0 / 3.0)));
  h = std::min(h, height);
  w = std::min(w, width);
  return {(width - w) / 2, (height - h) / 2, w, h};
}

void train_transform(const cv::Mat& rgb, int size, double scale_min, double scale_max, std::mt19937_64& rng,
                     std::uint8_t* out) {
  const cv::Rect crop = random_resized_crop(rgb.cols, rgb.rows, scale_min, scale_max, rng);
  // PIL's antialiased bicubic weights, applied as two row passes around a transpose so that both
  // run over contiguous memory and vectorise (several times faster than cv::resize's INTER_CUBIC
  // here, which is not antialiased either). Not bit-exact with PIL: 14-bit weights.
  const ResampleWeights rows = resample_weights(crop.height, size, kFastPrecisionBits);
  const ResampleWeights cols = resample_weights(crop.width, size, kFastPrecisionBits);
  cv::Mat tall(size, crop.width, CV_8UC3), turned, narrow(size, size, CV_8UC3), upright;
  resample_rows(rgb(crop), tall, rows);  // [size, crop.width, 3]
  cv::transpose(tall, turned);           // [crop.width, size, 3]
  resample_rows(turned, narrow, cols);   // [size (x), size (y), 3]
  cv::transpose(narrow, upright);        // [size, size, 3]
  to_chw(upright, out);
}

nlohmann::json hf_image_processor_config(int size) {
  return {{"image_processor_type", "CLIPImageProcessor"},
          {"do_resize", true}, {"size", {{"shortest_edge", size}}}, {"resample", 3},  // PIL's BICUBIC
          {"do_center_crop", true}, {"crop_size", {{"height", size}, {"width", size}}},
          {"do_rescale", true}, {"rescale_factor", 1.0 / 255},
          {"do_normalize", true}, {"image_mean", kClipMean}, {"image_std", kClipStd},
          {"do_convert_rgb", true}};
}

}  // namespace clipforge::data

#include "data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/jpeg_decode.h"

namespace clipforge::data {
namespace {

bool is_jpeg(const std::string& bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8;
}

// `reduction` (1, 2, 4, 8) applies to JPEGs only, as OpenCV's reduced modes decode other formats
// at full size and then shrink them.
DecodedImage decode_with_opencv(const std::string& bytes, int reduction, ImageSize size) {
  int flags = cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 2) flags = cv::IMREAD_REDUCED_COLOR_2 | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 4) flags = cv::IMREAD_REDUCED_COLOR_4 | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 8) flags = cv::IMREAD_REDUCED_COLOR_8 | cv::IMREAD_IGNORE_ORIENTATION;
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  DecodedImage result{DecodeStatus::kUndecodable, cv::Mat(), size};
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(encoded, flags);
  } catch (const cv::Exception&) {
    return result;  // some codecs throw instead of returning empty on garbage
  }
  if (bgr.empty() || bgr.depth() != CV_8U) return result;
  cv::cvtColor(bgr, result.rgb, cv::COLOR_BGR2RGB);
  result.status = DecodeStatus::kOk;
  return result;
}

}  // namespace

DecodedImage decode_rgb(const std::string& bytes, const DecodeOptions& options) {
  if (bytes.empty()) return {};
  ImageSize size;
  if (is_jpeg(bytes)) {
    DecodedImage jpeg = decode_jpeg_rgb(bytes, options);
    // libjpeg could not read the header: OpenCV's JPEG decoder (libjpeg too) cannot either.
    if (jpeg.status != DecodeStatus::kUndecodable || jpeg.size.pixels() == 0) return jpeg;
    // Within the limit, but not convertible to RGB by libjpeg (CMYK, ...).
    return decode_with_opencv(bytes, dct_reduction(jpeg.size, options.min_side), jpeg.size);
  }
  if (options.max_pixels > 0) {
    const auto stated = header_size(bytes);
    if (!stated) return {DecodeStatus::kUnknownSize, cv::Mat(), ImageSize{}};
    if (stated->pixels() > options.max_pixels) return {DecodeStatus::kTooManyPixels, cv::Mat(), *stated};
    size = *stated;
  }
  return decode_with_opencv(bytes, 1, size);
}

std::string decode_failure(const DecodedImage& image, const DecodeOptions& options) {
  switch (image.status) {
    case DecodeStatus::kOk: return "";
    case DecodeStatus::kUndecodable: return "not a decodable image";
    case DecodeStatus::kTooManyPixels:
      return std::to_string(image.size.width) + "x" + std::to_string(image.size.height) + " = " +
             std::to_string(image.size.pixels()) + " pixels, over the limit of " + std::to_string(options.max_pixels) +
             " (--max-image-pixels)";
    case DecodeStatus::kUnknownSize:
      return "not a JPEG, PNG, WebP or BMP image (other formats decode only with --max-image-pixels 0)";
  }
  return "";
}

int dct_reduction(ImageSize size, int min_side) {
  if (min_side <= 0) return 1;
  for (int reduction : {8, 4, 2}) {
    // libjpeg rounds scaled dimensions up.
    const int w = (size.width + reduction - 1) / reduction;
    const int h = (size.height + reduction - 1) / reduction;
    if (w >= min_side && h >= min_side) return reduction;
  }
  return 1;
}

}  // namespace clipforge::data

#include "data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/jpeg_decode.h"

namespace clipforge::data {

cv::Mat decode_rgb(const std::string& bytes, int reduction, bool fast) {
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8) {
    cv::Mat rgb = decode_jpeg_rgb(bytes, {reduction, fast});
    if (!rgb.empty()) return rgb;
  }
  int flags = cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 2) flags = cv::IMREAD_REDUCED_COLOR_2 | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 4) flags = cv::IMREAD_REDUCED_COLOR_4 | cv::IMREAD_IGNORE_ORIENTATION;
  if (reduction == 8) flags = cv::IMREAD_REDUCED_COLOR_8 | cv::IMREAD_IGNORE_ORIENTATION;
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
  cv::Mat bgr;
  try {
    bgr = cv::imdecode(encoded, flags);
  } catch (const cv::Exception&) {
    return cv::Mat();  // some codecs throw instead of returning empty on garbage
  }
  if (bgr.empty() || bgr.depth() != CV_8U) return cv::Mat();
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::optional<ImageSize> jpeg_size(const std::string& bytes) {
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() < 4 || at(0) != 0xFF || at(1) != 0xD8) return std::nullopt;
  std::size_t pos = 2;
  while (pos + 4 <= bytes.size()) {
    if (at(pos) != 0xFF) return std::nullopt;
    const unsigned char marker = at(pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      pos += 2;
      continue;
    }
    const std::size_t length = (at(pos + 2) << 8) | at(pos + 3);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (pos + 9 > bytes.size()) return std::nullopt;
      ImageSize size;
      size.height = (at(pos + 5) << 8) | at(pos + 6);
      size.width = (at(pos + 7) << 8) | at(pos + 8);
      if (size.width == 0 || size.height == 0) return std::nullopt;
      return size;
    }
    pos += 2 + length;
  }
  return std::nullopt;
}

int jpeg_reduction_for(const std::string& bytes, int min_side) {
  const auto size = jpeg_size(bytes);
  if (!size) return 1;
  for (int reduction : {8, 4, 2}) {
    // libjpeg rounds scaled dimensions up.
    const int w = (size->width + reduction - 1) / reduction;
    const int h = (size->height + reduction - 1) / reduction;
    if (w >= min_side && h >= min_side) return reduction;
  }
  return 1;
}

}  // namespace clipforge::data

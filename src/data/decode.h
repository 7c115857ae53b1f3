// Image decoding into 8-bit RGB, as the reference pipeline sees images: grayscale replicated,
// alpha dropped, EXIF orientation ignored. JPEGs go straight to libjpeg (jpeg_decode.h), other
// formats (and JPEGs libjpeg cannot turn into RGB, such as CMYK) through OpenCV.
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>

namespace clipforge::data {

// `reduction` 2, 4 or 8 asks libjpeg for a DCT-scaled decode and `fast` for its faster, slightly
// less exact IDCT (JPEG only; other formats ignore both). The defaults decode exactly as libjpeg's
// defaults, i.e. as the reference pipeline. Returns an empty Mat for bytes that are not a
// decodable image.
cv::Mat decode_rgb(const std::string& bytes, int reduction = 1, bool fast = false);

struct ImageSize {
  int width = 0, height = 0;
};
// Width and height from a JPEG's frame header, without decoding; nullopt for anything else.
std::optional<ImageSize> jpeg_size(const std::string& bytes);

// The largest DCT reduction (1, 2, 4 or 8) that keeps both sides of the decoded JPEG at least
// `min_side`; 1 for non-JPEG bytes.
int jpeg_reduction_for(const std::string& bytes, int min_side);

}  // namespace clipforge::data

// Image decoding into 8-bit RGB, as the reference pipeline sees images: grayscale replicated,
// alpha dropped, EXIF orientation ignored. JPEGs go straight to libjpeg (jpeg_decode.h), other
// formats (and JPEGs libjpeg cannot turn into RGB, such as CMYK) through OpenCV.
//
// A decoded-pixel limit guards against decompression bombs (a few hundred bytes whose header
// claims 60000 x 60000 pixels): it is checked against the size in the header before any pixel
// buffer exists. JPEG sizes come from libjpeg's own header read; PNG, WebP and BMP sizes from
// image_header.h; other formats (TIFF, PNM, ...) have no size we read before decoding and are
// refused while a limit is set.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <string>

#include "data/image_header.h"

namespace clipforge::data {

struct DecodeOptions {
  // > 0: a JPEG is decoded at the largest DCT scale (1/2, 1/4 or 1/8) that keeps both sides at
  // least min_side, from the size its header states; other formats decode at full size. `fast`
  // asks libjpeg for its faster, slightly less exact IDCT. The defaults decode exactly as
  // libjpeg's defaults, i.e. as the reference pipeline.
  int min_side = 0;
  bool fast = false;
  // Refuse images whose header states more than this many pixels (full size, before any
  // reduction, as PIL counts); 0 = no limit, as PIL's MAX_IMAGE_PIXELS = None.
  std::uint64_t max_pixels = kDefaultMaxImagePixels;
};

enum class DecodeStatus {
  kOk,
  kUndecodable,    // not an image, or damaged
  kTooManyPixels,  // `size` is over the limit: nothing was allocated
  kUnknownSize,    // a format whose size is not read before decoding, while a limit is set
};

struct DecodedImage {
  DecodeStatus status = DecodeStatus::kUndecodable;
  cv::Mat rgb;      // CV_8UC3 RGB when kOk, else empty
  ImageSize size;   // as stated by the header, when it was read
};

DecodedImage decode_rgb(const std::string& bytes, const DecodeOptions& options = {});

// Why a decode failed, for messages: "60000x60000 = 3600000000 pixels, over the limit of
// 89478485 (--max-image-pixels)" and the like; "" for kOk.
std::string decode_failure(const DecodedImage& image, const DecodeOptions& options);

// The largest DCT reduction (1, 2, 4 or 8) that keeps both sides of a JPEG of `size` at least
// `min_side` once decoded; 1 when min_side is 0.
int dct_reduction(ImageSize size, int min_side);

}  // namespace clipforge::data

// Any bytes as an image through clipforge's decode path (libjpeg for JPEGs, OpenCV for the rest,
// header sizes read by image_header.cpp): it decodes, or says why not; it never allocates past the
// pixel limit, whatever the header claims and whichever reduction is asked for.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/decode.h"

namespace {
// Small, so that decoding stays fast under the sanitizers and bombs of any format are easy to make.
constexpr std::uint64_t kMaxPixels = 1 << 16;

void check(const std::string& bytes, const clipforge::data::DecodeOptions& options) {
  using clipforge::data::DecodeStatus;
  const clipforge::data::DecodedImage image = clipforge::data::decode_rgb(bytes, options);
  const bool ok = image.status == DecodeStatus::kOk;
  if (ok != !image.rgb.empty()) __builtin_trap();
  if (ok && (image.rgb.type() != CV_8UC3 || static_cast<std::uint64_t>(image.rgb.total()) > kMaxPixels)) __builtin_trap();
  if (image.status == DecodeStatus::kTooManyPixels && image.size.pixels() <= kMaxPixels) __builtin_trap();
  if (!ok && clipforge::data::decode_failure(image, options).empty()) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  clipforge::data::DecodeOptions exact;  // the eval path: full size, libjpeg's defaults
  exact.max_pixels = kMaxPixels;
  check(bytes, exact);
  // The train path's variants, chosen by the input's length so that seeds need no prefix.
  clipforge::data::DecodeOptions reduced = exact;
  reduced.min_side = 8 * static_cast<int>(size % 4);  // 0 (full size), 8, 16, 24
  reduced.fast = (size / 4) % 2 == 1;
  check(bytes, reduced);
  return 0;
}

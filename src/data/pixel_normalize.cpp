#include "data/pixel_normalize.h"

namespace clipforge::data {

void normalize_pixels_chw(const std::uint8_t* chw, std::int64_t plane_size, float* out) {
  for (int c = 0; c < 3; ++c) {
    // A table of the 256 possible values: the same float operations, done once.
    float table[256];
    for (int v = 0; v < 256; ++v) table[v] = (static_cast<float>(v) / 255.0f - kClipMean[c]) / kClipStd[c];
    const std::uint8_t* src = chw + c * plane_size;
    float* dst = out + c * plane_size;
    for (std::int64_t i = 0; i < plane_size; ++i) dst[i] = table[src[i]];
  }
}

}  // namespace clipforge::data

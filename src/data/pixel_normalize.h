// CLIP's input normalisation: uint8 CHW pixels -> (x / 255 - mean[c]) / std[c] in float32, the
// order of operations of the reference pipeline (ToTensor, then Normalize), so that results match
// it exactly.
#pragma once

#include <cstdint>

namespace clipforge::data {

inline constexpr float kClipMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr float kClipStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// `chw`: 3 planes of `plane_size` pixels each; `out` receives the same layout as float.
void normalize_pixels_chw(const std::uint8_t* chw, std::int64_t plane_size, float* out);

}  // namespace clipforge::data

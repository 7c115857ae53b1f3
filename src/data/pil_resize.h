// PIL's bicubic resize (Image.resize(..., BICUBIC)), bit for bit: the reference CLIP pipeline
// resizes with it, and no OpenCV interpolation reproduces it (OpenCV uses a = -0.75 and does not
// widen the kernel when shrinking). The algorithm, as ../shared/reference/README.md states it:
// cubic kernel a = -0.5, support widened by the scale factor when downscaling, weights
// normalised per output pixel and rounded to 22-bit fixed point, horizontal pass then vertical,
// each pass rounding and clamping to uint8.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

namespace clipforge::data {

inline constexpr int kPilPrecisionBits = 32 - 8 - 2;

// Per output index: the first input index it reads, how many, and the fixed-point weights.
struct ResampleWeights {
  int bits = kPilPrecisionBits;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<std::int32_t> weights;  // out_size x window, row-major
  int window = 0;
};
// PIL's weights with `bits` fractional bits (PIL: 22). At most 14 bits gives 16-bit weights,
// which resample faster but round differently from PIL.
ResampleWeights resample_weights(int in_size, int out_size, int bits = kPilPrecisionBits);

// One pass along rows: out row y = the weighted sum of in rows first[y]..first[y]+count[y]-1,
// value by value (so any channel count), rounded and clamped as PIL does. `out` must be
// CV_8U with weights.first.size() rows and in.cols * in.channels() values per row.
void resample_rows(const cv::Mat& in, cv::Mat& out, const ResampleWeights& weights);

// `image`: CV_8UC1..CV_8UC4, any channel order (channels are independent). Returns a new image
// of width x height. A pass whose size does not change is skipped, as PIL skips it.
cv::Mat pil_bicubic_resize(const cv::Mat& image, int width, int height);

}  // namespace clipforge::data

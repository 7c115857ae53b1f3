#include "data/pil_resize.h"

#include <cmath>
#include <opencv2/core/hal/intrin.hpp>
#include <vector>

namespace clipforge::data {
namespace {

double cubic(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

}  // namespace

ResampleWeights resample_weights(int in_size, int out_size, int bits) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale;
  ResampleWeights c;
  c.bits = bits;
  c.window = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<std::size_t>(out_size) * c.window, 0);
  std::vector<double> k(c.window);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    // int() truncates toward zero, as the C cast in the reference does.
    int lo = static_cast<int>(center - support + 0.5);
    int hi = static_cast<int>(center + support + 0.5);
    lo = std::max(lo, 0);
    hi = std::min(hi, in_size);
    const int n = hi - lo;
    double total = 0.0;
    for (int j = 0; j < n; ++j) {
      k[j] = cubic((j + lo - center + 0.5) / filter_scale);
      total += k[j];
    }
    for (int j = 0; j < n; ++j) {
      const double w = total != 0.0 ? k[j] / total : k[j];
      // Round half away from zero, by truncation after adding +-0.5.
      c.weights[static_cast<std::size_t>(i) * c.window + j] =
          static_cast<std::int32_t>(w < 0 ? -0.5 + w * (1 << bits) : 0.5 + w * (1 << bits));
    }
    c.first[i] = lo;
    c.count[i] = n;
  }
  return c;
}

namespace {

inline std::uint8_t clip8(std::int32_t sum, int bits) {
  const std::int32_t v = sum >> bits;
  return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

cv::Mat horizontal(const cv::Mat& in, int width) {
  const ResampleWeights c = resample_weights(in.cols, width);
  const int channels = in.channels();
  cv::Mat out(in.rows, width, in.type());
  for (int y = 0; y < in.rows; ++y) {
    const std::uint8_t* src = in.ptr<std::uint8_t>(y);
    std::uint8_t* dst = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      const std::int32_t* w = &c.weights[static_cast<std::size_t>(x) * c.window];
      const std::uint8_t* s = src + static_cast<std::ptrdiff_t>(c.first[x]) * channels;
      for (int ch = 0; ch < channels; ++ch) {
        std::int32_t sum = 1 << (kPilPrecisionBits - 1);
        for (int j = 0; j < c.count[x]; ++j) sum += s[j * channels + ch] * w[j];
        dst[x * channels + ch] = clip8(sum, kPilPrecisionBits);
      }
    }
  }
  return out;
}

}  // namespace

void resample_rows(const cv::Mat& in, cv::Mat& out, const ResampleWeights& c) {
  const int row_values = in.cols * in.channels();
  const std::int32_t initial = std::int32_t{1} << (c.bits - 1);
  std::vector<const std::uint8_t*> rows(c.window);
  for (int y = 0; y < out.rows; ++y) {
    const int taps = c.count[y];
    const std::int32_t* w = &c.weights[static_cast<std::size_t>(y) * c.window];
    for (int j = 0; j < taps; ++j) rows[j] = in.ptr<std::uint8_t>(c.first[y] + j);
    std::uint8_t* dst = out.ptr<std::uint8_t>(y);
    int v = 0;
#if CV_SIMD128
    // Weights of at most 14 bits fit 16-bit lanes: two taps at a time go through one
    // multiply-add of interleaved pixel pairs, 16 values per step, sums kept in registers.
    // (32-bit sums as in PIL: 255 * the sum of |weights| stays below 2^31.)
    if (c.bits <= 14) {
      for (; v + 16 <= row_values; v += 16) {
        cv::v_int32x4 s0 = cv::v_setall_s32(initial), s1 = s0, s2 = s0, s3 = s0;
        for (int j = 0; j < taps; j += 2) {
          const bool pair = j + 1 < taps;
          const std::int32_t w_pair = (w[j] & 0xffff) | (pair ? w[j + 1] * 65536 : 0);
          const cv::v_int16x8 wv = cv::v_reinterpret_as_s16(cv::v_setall_s32(w_pair));
          cv::v_uint16x8 a_low, a_high, b_low, b_high;
          cv::v_expand(cv::v_load(rows[j] + v), a_low, a_high);
          cv::v_expand(pair ? cv::v_load(rows[j + 1] + v) : cv::v_setzero_u8(), b_low, b_high);
          cv::v_int16x8 ab0, ab1, ab2, ab3;
          cv::v_zip(cv::v_reinterpret_as_s16(a_low), cv::v_reinterpret_as_s16(b_low), ab0, ab1);
          cv::v_zip(cv::v_reinterpret_as_s16(a_high), cv::v_reinterpret_as_s16(b_high), ab2, ab3);
          s0 += cv::v_dotprod(ab0, wv);
          s1 += cv::v_dotprod(ab1, wv);
          s2 += cv::v_dotprod(ab2, wv);
          s3 += cv::v_dotprod(ab3, wv);
        }
        // Shift, then saturate to 0..255: the same clamp as clip8.
        const cv::v_int16x8 low = cv::v_pack(s0 >> c.bits, s1 >> c.bits);
        const cv::v_int16x8 high = cv::v_pack(s2 >> c.bits, s3 >> c.bits);
        cv::v_store(dst + v, cv::v_pack_u(low, high));
      }
    }
#endif
    for (; v < row_values; ++v) {
      std::int32_t sum = initial;
      for (int j = 0; j < taps; ++j) sum += rows[j][v] * w[j];
      dst[v] = clip8(sum, c.bits);
    }
  }
}

cv::Mat pil_bicubic_resize(const cv::Mat& image, int width, int height) {
  CV_Assert(image.depth() == CV_8U && width > 0 && height > 0);
  cv::Mat result = image;
  if (width != image.cols) result = horizontal(result, width);
  if (height != image.rows) {
    cv::Mat out(height, result.cols, result.type());
    resample_rows(result, out, resample_weights(result.rows, height));
    result = out;
  }
  return result.data == image.data ? image.clone() : result;
}

}  // namespace clipforge::data

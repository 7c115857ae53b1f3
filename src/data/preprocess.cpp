#include "data/preprocess.h"

#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"
#include "data/decode.h"
#include "data/pixel_normalize.h"
#include "data/transforms.h"

namespace clipforge::data {

Preprocessed preprocess_file(const std::string& image_path, int size, std::uint64_t max_pixels) {
  return preprocess_bytes(read_file(image_path), image_path, size, max_pixels);
}

Preprocessed preprocess_bytes(const std::string& bytes, const std::string& name, int size, std::uint64_t max_pixels) {
  if (size <= 0) throw usage_error("preprocess: --image-size must be positive");
  DecodeOptions options;
  options.max_pixels = max_pixels;
  const DecodedImage image = decode_rgb(bytes, options);
  if (image.status != DecodeStatus::kOk) throw input_error(name + ": " + decode_failure(image, options));
  Preprocessed result;
  result.size = size;
  result.crop.resize(3 * static_cast<std::size_t>(size) * size);
  eval_transform(image.rgb, size, result.crop.data());
  result.tensor.resize(result.crop.size());
  normalize_pixels_chw(result.crop.data(), static_cast<std::int64_t>(size) * size, result.tensor.data());
  return result;
}

void write_preprocessed(const Preprocessed& result, const std::string& npy_path, const std::string& png_path) {
  npy::write(npy_path, npy::Dtype::kFloat32, {3, result.size, result.size}, result.tensor.data());
  if (png_path.empty()) return;
  // CHW RGB -> the interleaved BGR OpenCV encodes.
  const std::size_t plane = static_cast<std::size_t>(result.size) * result.size;
  cv::Mat bgr(result.size, result.size, CV_8UC3);
  for (std::size_t i = 0; i < plane; ++i) {
    bgr.data[3 * i] = result.crop[2 * plane + i];
    bgr.data[3 * i + 1] = result.crop[plane + i];
    bgr.data[3 * i + 2] = result.crop[i];
  }
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", bgr, png)) throw runtime_error(png_path + ": PNG encoding failed");
  write_file_atomic(png_path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

}  // namespace clipforge::data

// `clipforge preprocess`: one image through the eval transform, written as the model's input
// tensor (.npy, float32 [3, size, size]) and optionally as the crop itself (PNG), for comparing
// with other implementations.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipforge::data {

struct Preprocessed {
  int size = 0;
  std::vector<std::uint8_t> crop;  // [3, size, size] RGB
  std::vector<float> tensor;       // the same, normalised
};

// Throws input_error naming the file when it cannot be read or decoded, or when its header
// states more than `max_pixels` pixels (0 = no limit; decode.h).
Preprocessed preprocess_file(const std::string& image_path, int size, std::uint64_t max_pixels);

// The same for an image already in memory (`clipforge serve`); `name` stands for it in errors.
Preprocessed preprocess_bytes(const std::string& bytes, const std::string& name, int size, std::uint64_t max_pixels);

// Writes `npy_path` (and `png_path` unless empty). Throws runtime_error on write failures.
void write_preprocessed(const Preprocessed& result, const std::string& npy_path, const std::string& png_path);

}  // namespace clipforge::data

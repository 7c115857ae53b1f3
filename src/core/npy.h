// NumPy .npy files (format versions 1.0 to 3.0): what `clipforge preprocess` writes and what the
// embedding tools exchange with Python. Only little-endian float32, float16 and int64 arrays in C
// order are supported; anything else is rejected with a message naming the file and byte offset.
//
//   clipforge::npy::write("x.npy", clipforge::npy::Dtype::kFloat32, {3, 224, 224}, pixels.data());
//   clipforge::npy::Array a = clipforge::npy::read("x.npy");   // a.shape == {3, 224, 224}
//   const float* values = a.as<float>();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clipforge::npy {

enum class Dtype { kFloat32, kFloat16, kInt64 };

std::size_t item_size(Dtype dtype);
const char* descr(Dtype dtype);  // "<f4", "<f2", "<i8"

struct Array {
  Dtype dtype = Dtype::kFloat32;
  std::vector<std::int64_t> shape;  // empty for a 0-d array
  std::vector<std::uint8_t> data;   // C order, little-endian, elements() * item_size(dtype) bytes

  std::int64_t elements() const;
  // float for kFloat32, std::uint16_t (raw half bits) for kFloat16, std::int64_t for kInt64.
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data.data()); }
};

// Parses a whole .npy image; `name` is the file name used in error messages.
Array parse(std::string_view bytes, const std::string& name);
Array read(const std::string& path);

// A 2-D float32 or float16 array (embeddings) widened to float32, row-major.
struct FloatMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> values;
};
// mismatch_error naming the file for any other rank or dtype.
FloatMatrix read_float_matrix(const std::string& path);

// The .npy image (version 1.0 header, padded to 64 bytes) of `data`, which holds
// product(shape) elements of `dtype`.
std::string serialize(Dtype dtype, const std::vector<std::int64_t>& shape, const void* data);
// Atomic write (see core/files.h).
void write(const std::string& path, Dtype dtype, const std::vector<std::int64_t>& shape, const void* data);

// IEEE half <-> float, round to nearest even; NaN and infinities are kept.
std::uint16_t float_to_half(float value);
float half_to_float(std::uint16_t bits);

}  // namespace clipforge::npy

// The safetensors layout without LibTorch: the 8-byte little-endian header length, the JSON
// header ({"dtype", "shape", "data_offsets"} per tensor, optional "__metadata__" strings), and
// the check that the tensors tile the data section exactly. Kept apart from the tensor code so
// the parser can be fuzzed on its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clipforge {

// Headers larger than this are refused before any allocation (the reference library's bound).
constexpr std::uint64_t kMaxSafetensorsHeader = 100ull << 20;

enum class SafetensorsDtype { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };
const char* dtype_name(SafetensorsDtype dtype);  // "F32", ...
std::size_t element_size(SafetensorsDtype dtype);

struct SafetensorsEntry {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // relative to the data section
};

struct SafetensorsLayout {
  std::vector<SafetensorsEntry> entries;       // in offset order
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
  std::uint64_t data_start = 0;                 // file offset of the data section
};

// Parses and checks `size` bytes of a safetensors file. Throws input_error naming `name`, the
// key and the offending value on any malformation; never reads outside [bytes, bytes + size).
SafetensorsLayout parse_safetensors_layout(const unsigned char* bytes, std::uint64_t size, const std::string& name);

}  // namespace clipforge

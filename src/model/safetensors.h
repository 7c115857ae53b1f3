// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON describing
// each tensor ({"dtype", "shape", "data_offsets"}) plus optional "__metadata__" strings, then
// the packed data. Everything in the header is checked against the file before a byte of data
// is used, because weights come from strangers.
#pragma once

#include <map>
#include <string>

#include "model/state_dict.h"

namespace clipforge {

struct SafetensorsFile {
  NamedTensors tensors;                        // in file (offset) order, dtypes as stored
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// Headers larger than this are refused before any allocation (the reference library's bound).
constexpr std::uint64_t kMaxSafetensorsHeader = 100ull << 20;

// Throws input_error naming the file, the key and the offending value on any malformation.
SafetensorsFile read_safetensors(const std::string& path);

// Writes atomically (temporary file, fsync, rename). Tensors are laid out by decreasing element
// size so every tensor is aligned to its element size, as the reference writer does.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace clipforge

// Safetensors files as named tensors. The layout (safetensors_header.h) is checked against the
// file before a byte of data is used, because weights come from strangers.
#pragma once

#include <map>
#include <string>

#include "model/safetensors_header.h"
#include "model/state_dict.h"

namespace clipforge {

struct SafetensorsFile {
  NamedTensors tensors;                        // in file (offset) order, dtypes as stored
  std::map<std::string, std::string> metadata;  // the "__metadata__" object
};

// Throws input_error naming the file, the key and the offending value on any malformation.
SafetensorsFile read_safetensors(const std::string& path);

// Writes atomically (temporary file, fsync, rename). Tensors are laid out by decreasing element
// size so every tensor is aligned to its element size, as the reference writer does.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata);

}  // namespace clipforge

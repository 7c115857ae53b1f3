// Any bytes as a safetensors file: either a layout whose tensors tile the data exactly, or a
// clipforge::Error. Nothing else may escape, and nothing may be read out of bounds.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "model/safetensors_header.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto layout = clipforge::parse_safetensors_layout(data, size, "fuzz.safetensors");
    std::uint64_t covered = 0;
    for (const auto& e : layout.entries) {
      if (e.begin != covered) __builtin_trap();
      covered = e.end;
    }
    if (layout.data_start + covered != size) __builtin_trap();
  } catch (const clipforge::Error&) {
  }
  return 0;
}

// Any bytes as a .npy file: an array whose data size matches its shape and dtype, or a
// clipforge::Error naming the offset.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto array = clipforge::npy::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    if (array.data.size() != std::size_t(array.elements()) * clipforge::npy::item_size(array.dtype)) __builtin_trap();
  } catch (const clipforge::Error&) {
  }
  return 0;
}

// Any line of a `rerank --batch` file: a request or an error that names the line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "eval/rerank_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  try {
    clipforge::parse_rerank_request(line, "batch.jsonl:1");
  } catch (const clipforge::Error& e) {
    if (std::string(e.what()).rfind("batch.jsonl:1: ", 0) != 0) __builtin_trap();
  }
  return 0;
}

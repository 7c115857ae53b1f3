// Any string as a shard list (brace ranges and lists, "::" sources, pipe:, .csv): a list of
// shards or a clipforge::Error, in bounded memory and stack.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "data/shard_list.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string urls(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& shard : clipforge::data::expand_shard_list(urls))
      if (shard.name.empty() && shard.kind != clipforge::data::ShardSpec::Kind::kCsvRows) __builtin_trap();
  } catch (const clipforge::Error&) {
  }
  return 0;
}

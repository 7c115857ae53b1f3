// Any bytes as a WebDataset shard: the tar reader and the sample grouping either deliver
// samples or report the shard as bad (ShardError); bounds on member sizes hold.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "core/error.h"
#include "data/sample_reader.h"

namespace {
const std::string& shard_path() {
  static const std::string path = "/tmp/clipforge_fuzz_shard_" + std::to_string(::getpid()) + ".tar";
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace clipforge::data;
  std::ofstream(shard_path(), std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data), std::streamsize(size));
  ShardSpec shard;
  shard.location = shard.name = shard_path();
  // Small bounds, so inputs the fuzzer can make reach the oversized paths.
  const ReadLimits limits{256, 64};
  try {
    SampleReader reader(shard, limits);
    RawSample sample;
    while (reader.next(sample)) {
      const auto reason = check_sample(sample, limits);
      if (!reason && (sample.image.size() > limits.max_member_bytes || sample.caption.size() > limits.max_caption_bytes))
        __builtin_trap();
    }
  } catch (const ShardError&) {
  } catch (const clipforge::Error&) {
  }
  return 0;
}

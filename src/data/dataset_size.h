// How many samples a shard list holds, from what img2dataset leaves beside the shards:
// `sizes.json` ({"00000.tar": 9876, ...}, as OpenCLIP reads it) or `NNNNN_stats.json`
// ({"successes": 9876, ...}); CSV chunks know their rows. Shards without a record are counted by
// reading them (members grouped into samples, nothing decoded).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/shard_list.h"

namespace clipforge::data {

struct DatasetSize {
  std::int64_t samples = 0;
  std::string source;  // "sizes.json", "_stats.json", "csv", "counted", or a mix joined by "+"
};

// The recorded size of one shard, if any.
std::optional<std::int64_t> recorded_shard_size(const ShardSpec& shard);

// Samples in a shard by reading it; an unreadable part counts as empty.
std::int64_t count_shard_samples(const ShardSpec& shard);

DatasetSize dataset_size(const std::vector<ShardSpec>& shards);

}  // namespace clipforge::data

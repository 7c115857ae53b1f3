// One reader's stream of usable samples: shards in ShardOrder's order, samples checked without
// decoding (bad ones counted and dropped), then a shuffle buffer. The stream is a function of
// the shard contents and the seeds only, so a position in it (a count of samples) is all a
// resume needs.
#pragma once

#include <memory>
#include <random>
#include <vector>

#include "data/sample_reader.h"
#include "data/shard_list.h"
#include "data/shard_order.h"
#include "data/skip_stats.h"

namespace clipforge::data {

class SampleStream {
 public:
  // `shuffle_buffer` 0 passes samples through in shard order.
  SampleStream(const std::vector<ShardSpec>& shards, ShardOrder order, int shuffle_buffer, std::uint64_t shuffle_seed,
               SkipStats& stats, ReadLimits limits = {});

  // The next sample; false at the end (a non-cycling reader has read its shards, or a whole pass
  // over the reader's shards gave no usable sample).
  bool next(RawSample& sample, std::string& shard_name);

 private:
  // The next checked sample from the shards, before shuffling.
  bool pull(RawSample& sample, std::string& shard_name);

  struct Item {
    RawSample sample;
    std::string shard;
  };

  const std::vector<ShardSpec>& shards_;
  ShardOrder order_;
  std::size_t capacity_;
  std::mt19937_64 rng_;
  SkipStats& stats_;
  ReadLimits limits_;
  std::unique_ptr<SampleReader> reader_;
  const ShardSpec* current_ = nullptr;
  std::size_t empty_shards_in_a_row_ = 0;
  bool shard_gave_sample_ = false;
  std::vector<Item> buffer_;
};

}  // namespace clipforge::data

// Which shards each reader reads, and in what order: the whole of the loader's randomness over
// shards, derived from (seed, epoch, rank, worker) only, so every run and every resume sees the
// same order.
//
// Readers are numbered rank * workers + worker. Each epoch, one permutation of all shards (the
// same on every rank, from (seed, epoch)) is dealt round-robin: reader r gets positions
// r, r + readers, r + 2 * readers, ... so the readers' shards are disjoint and together cover the
// list once. With fewer shards than readers, reader r reads shard r mod shards when epochs have a
// fixed length (samples repeat; the loader warns), and readers past the last shard read nothing
// in a single pass.
// A reader that cycles (fixed-length epochs) reshuffles its own shards for every further pass;
// in resampled mode it draws shards from the whole list with replacement, endlessly.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace clipforge::data {

// A well-mixed 64-bit seed from a tuple of integers (SplitMix64 over the sequence).
std::uint64_t derive_seed(std::initializer_list<std::uint64_t> parts);

// Purposes that keep the random streams of one reader independent.
enum class Stream : std::uint64_t { kShardPermutation = 1, kPass = 2, kResample = 3, kSampleShuffle = 4, kTransform = 5 };

struct ShardOrderConfig {
  std::size_t shards = 0;
  int readers = 1;
  int reader = 0;
  std::uint64_t seed = 0;
  int epoch = 0;
  bool shuffle = true;    // false: list order, no reshuffle between passes
  bool cycle = false;     // repeat the reader's shards until the caller stops
  bool resampled = false; // draw with replacement from all shards (endless)
};

// The shards reader `reader` reads in one pass of `epoch` (before any cycling).
std::vector<std::size_t> reader_shards(const ShardOrderConfig& config);

class ShardOrder {
 public:
  explicit ShardOrder(ShardOrderConfig config);
  // The next shard index; nullopt when a non-cycling reader has read all its shards.
  std::optional<std::size_t> next();
  // The current pass is used up (and another would follow when cycling). The sample stream
  // drains its shuffle buffer here, so an epoch never mixes passes and a reader whose shards
  // hold exactly its share delivers each sample once.
  bool pass_complete() const { return !resampled_ && position_ == current_.size(); }
  // A count of consecutive shards that surely includes every shard this reader can get (for
  // resampled readers, with overwhelming probability): when none of them gave a usable sample,
  // none ever will. Two passes, since a reshuffle may split one pass across the boundary.
  std::size_t give_up_after() const { return resampled_ ? 4 * config_.shards + 16 : 2 * first_pass_.size(); }

 private:
  ShardOrderConfig config_;
  bool resampled_;
  std::vector<std::size_t> first_pass_;
  std::vector<std::size_t> current_;
  std::size_t position_ = 0;
  std::uint64_t pass_ = 0;
  std::mt19937_64 resample_rng_;
};

}  // namespace clipforge::data

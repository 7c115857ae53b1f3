#include "data/shard_order.h"

#include <algorithm>
#include <numeric>

namespace clipforge::data {
namespace {

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Fisher-Yates with our own index draws: std::shuffle's use of the engine is unspecified, and
// the order must not change with the standard library.
void shuffle(std::vector<std::size_t>& items, std::uint64_t seed) {
  std::uint64_t state = seed;
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[splitmix(state) % i]);
}

}  // namespace

std::uint64_t derive_seed(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t state = 0x5eed5eed5eed5eedull;
  std::uint64_t result = splitmix(state);
  for (std::uint64_t part : parts) {
    state ^= part + 0x9e3779b97f4a7c15ull + (result << 6) + (result >> 2);
    result = splitmix(state);
  }
  return result;
}

std::vector<std::size_t> reader_shards(const ShardOrderConfig& config) {
  std::vector<std::size_t> permutation(config.shards);
  std::iota(permutation.begin(), permutation.end(), std::size_t{0});
  if (config.shuffle) {
    shuffle(permutation, derive_seed({config.seed, static_cast<std::uint64_t>(config.epoch),
                                      static_cast<std::uint64_t>(Stream::kShardPermutation)}));
  }
  std::vector<std::size_t> mine;
  if (config.shards == 0) return mine;
  if (config.shards < static_cast<std::size_t>(config.readers)) {
    // Sharing shards only makes sense for fixed-length epochs; a single pass reads each shard once.
    if (config.cycle || static_cast<std::size_t>(config.reader) < config.shards) {
      mine.push_back(permutation[config.reader % config.shards]);
    }
    return mine;
  }
  for (std::size_t i = config.reader; i < config.shards; i += config.readers) mine.push_back(permutation[i]);
  return mine;
}

ShardOrder::ShardOrder(ShardOrderConfig config)
    : config_(config),
      resampled_(config.resampled),
      resample_rng_(derive_seed({config.seed, static_cast<std::uint64_t>(config.epoch), static_cast<std::uint64_t>(config.reader),
                                 static_cast<std::uint64_t>(Stream::kResample)})) {
  if (!resampled_) first_pass_ = reader_shards(config_);
  current_ = first_pass_;
}

std::optional<std::size_t> ShardOrder::next() {
  if (resampled_) {
    if (config_.shards == 0) return std::nullopt;
    return std::uniform_int_distribution<std::size_t>(0, config_.shards - 1)(resample_rng_);
  }
  if (position_ == current_.size()) {
    if (!config_.cycle || first_pass_.empty()) return std::nullopt;
    ++pass_;
    current_ = first_pass_;
    if (config_.shuffle) {
      shuffle(current_, derive_seed({config_.seed, static_cast<std::uint64_t>(config_.epoch),
                                     static_cast<std::uint64_t>(config_.reader), pass_,
                                     static_cast<std::uint64_t>(Stream::kPass)}));
    }
    position_ = 0;
  }
  return current_[position_++];
}

}  // namespace clipforge::data

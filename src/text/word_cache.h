// Cache of already-merged pre-tokens, shared by all threads using one tokenizer.
#pragma once

#include <array>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace clipforge::text {

// Sharded so that concurrent readers and writers rarely meet on a lock. Bounded: a full shard
// is emptied (captions repeat a small core vocabulary, which refills quickly), and long pieces
// are never stored since they rarely repeat.
class WordCache {
 public:
  static constexpr std::size_t kMaxWordBytes = 64;
  static constexpr std::size_t kShards = 32;
  static constexpr std::size_t kMaxEntriesPerShard = 1 << 13;

  // Appends the cached ids of `word` to `out` and returns true, or returns false.
  bool append(std::string_view word, std::vector<std::int32_t>& out) const;
  void insert(std::string_view word, const std::int32_t* ids, std::size_t count);
  void clear();

 private:
  struct Shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, std::vector<std::int32_t>> words;
  };
  Shard& shard_of(std::string_view word);
  const Shard& shard_of(std::string_view word) const;

  std::array<Shard, kShards> shards_;
};

}  // namespace clipforge::text

#include "text/word_cache.h"

#include <functional>
#include <mutex>

namespace clipforge::text {

const WordCache::Shard& WordCache::shard_of(std::string_view word) const {
  return shards_[std::hash<std::string_view>{}(word) % kShards];
}

WordCache::Shard& WordCache::shard_of(std::string_view word) {
  return shards_[std::hash<std::string_view>{}(word) % kShards];
}

bool WordCache::append(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.size() > kMaxWordBytes) return false;
  const Shard& shard = shard_of(word);
  // The key copy stays in the small-string buffer for most words: no allocation.
  const std::string key(word);
  std::shared_lock lock(shard.mutex);
  auto it = shard.words.find(key);
  if (it == shard.words.end()) return false;
  out.insert(out.end(), it->second.begin(), it->second.end());
  return true;
}

void WordCache::insert(std::string_view word, const std::int32_t* ids, std::size_t count) {
  if (word.size() > kMaxWordBytes) return;
  Shard& shard = shard_of(word);
  std::unique_lock lock(shard.mutex);
  if (shard.words.size() >= kMaxEntriesPerShard) shard.words.clear();
  shard.words.emplace(std::string(word), std::vector<std::int32_t>(ids, ids + count));
}

void WordCache::clear() {
  for (Shard& shard : shards_) {
    std::unique_lock lock(shard.mutex);
    shard.words.clear();
  }
}

}  // namespace clipforge::text

// Applying merge rules to one pre-token.
#pragma once

#include <cstdint>
#include <vector>

#include "text/vocabulary.h"

namespace clipforge::text {

// Merges symbols the way CLIP's reference does: repeatedly take the adjacent pair with the
// lowest rank and merge all its occurrences left to right, until no pair has a rank. A heap
// over a linked list keeps this O(n log n), so a megabyte-long "word" stays fast.
class BpeMerger {
 public:
  explicit BpeMerger(const std::vector<MergeRule>& rules);

  // Rewrites `symbols` (ids of the pre-token's byte symbols, the last with "</w>") in place.
  void merge(std::vector<std::int32_t>& symbols) const;

 private:
  static constexpr std::uint32_t kNoRank = 0xFFFFFFFFu;
  // Rank of the pair (left, right), or kNoRank.
  std::uint32_t rank(std::int32_t left, std::int32_t right) const;

  std::vector<MergeRule> rules_;
  // Open addressing over pair keys: the rule table is fixed after loading and lookups are the
  // hot path of cold-cache encoding.
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> ranks_;
  std::uint64_t mask_ = 0;
};

}  // namespace clipforge::text

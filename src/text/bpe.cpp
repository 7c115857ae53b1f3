#include "text/bpe.h"

#include <algorithm>

namespace clipforge::text {
namespace {

constexpr std::uint64_t kEmptyKey = ~std::uint64_t{0};
constexpr std::size_t kKeepScratchSymbols = 1 << 16;

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
}

std::uint64_t slot_of(std::uint64_t key, std::uint64_t mask) {
  return (key * 0x9E3779B97F4A7C15ull >> 20) & mask;
}

struct Candidate {
  std::uint32_t rank;
  std::uint32_t position;
  // std heaps are max-heaps; invert so the lowest rank, then the leftmost position, is on top.
  bool operator<(const Candidate& other) const {
    return rank != other.rank ? rank > other.rank : position > other.position;
  }
};

// Per-thread scratch buffers, so merging a word allocates nothing once warmed up.
struct Scratch {
  std::vector<std::int32_t> next;
  std::vector<std::int32_t> prev;
  std::vector<Candidate> heap;
  std::vector<std::uint32_t> batch;
  std::vector<std::uint32_t> merged;
};

}  // namespace

BpeMerger::BpeMerger(const std::vector<MergeRule>& rules) : rules_(rules) {
  std::size_t capacity = 16;
  while (capacity < rules.size() * 2) capacity *= 2;
  keys_.assign(capacity, kEmptyKey);
  ranks_.assign(capacity, kNoRank);
  mask_ = capacity - 1;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const std::uint64_t key = pair_key(rules[r].left, rules[r].right);
    std::uint64_t slot = slot_of(key, mask_);
    while (keys_[slot] != kEmptyKey && keys_[slot] != key) slot = (slot + 1) & mask_;
    // A repeated rule keeps its last rank, as the reference's dict(zip(merges, range(...))) does.
    keys_[slot] = key;
    ranks_[slot] = static_cast<std::uint32_t>(r);
  }
}

std::uint32_t BpeMerger::rank(std::int32_t left, std::int32_t right) const {
  const std::uint64_t key = pair_key(left, right);
  for (std::uint64_t slot = slot_of(key, mask_);; slot = (slot + 1) & mask_) {
    if (keys_[slot] == key) return ranks_[slot];
    if (keys_[slot] == kEmptyKey) return kNoRank;
  }
}

void BpeMerger::merge(std::vector<std::int32_t>& symbols) const {
  const std::size_t n = symbols.size();
  if (n < 2) return;
  thread_local Scratch s;
  s.next.resize(n);
  s.prev.resize(n);
  s.heap.clear();
  for (std::size_t i = 0; i < n; ++i) {
    s.next[i] = i + 1 < n ? static_cast<std::int32_t>(i + 1) : -1;
    s.prev[i] = static_cast<std::int32_t>(i) - 1;
    if (i + 1 < n) {
      const std::uint32_t r = rank(symbols[i], symbols[i + 1]);
      if (r != kNoRank) s.heap.push_back({r, static_cast<std::uint32_t>(i)});
    }
  }
  std::make_heap(s.heap.begin(), s.heap.end());
  const auto push = [&](std::int32_t left_pos) {
    if (left_pos < 0 || s.next[left_pos] < 0) return;
    const std::uint32_t r = rank(symbols[left_pos], symbols[s.next[left_pos]]);
    if (r == kNoRank) return;
    s.heap.push_back({r, static_cast<std::uint32_t>(left_pos)});
    std::push_heap(s.heap.begin(), s.heap.end());
  };

  while (!s.heap.empty()) {
    // All occurrences of one rule form one left-to-right pass; pairs the pass creates wait for
    // the next round even when they rank lower, exactly as in the reference loop.
    const std::uint32_t r = s.heap.front().rank;
    s.batch.clear();
    while (!s.heap.empty() && s.heap.front().rank == r) {
      s.batch.push_back(s.heap.front().position);
      std::pop_heap(s.heap.begin(), s.heap.end());
      s.heap.pop_back();
    }
    const MergeRule& rule = rules_[r];
    s.merged.clear();
    for (std::uint32_t pos : s.batch) {
      const std::int32_t right = s.next[pos];
      // Stale entries: the left symbol was absorbed or changed, or its neighbour changed.
      if (right < 0 || symbols[pos] != rule.left || symbols[right] != rule.right) continue;
      symbols[pos] = rule.result;
      s.next[pos] = s.next[right];
      if (s.next[right] >= 0) s.prev[s.next[right]] = static_cast<std::int32_t>(pos);
      s.next[right] = -1;  // an absorbed slot never starts a pair again
      s.merged.push_back(pos);
    }
    for (std::uint32_t pos : s.merged) {
      push(s.prev[pos]);
      push(static_cast<std::int32_t>(pos));
    }
  }

  std::size_t out = 0;
  for (std::int32_t pos = 0; pos >= 0; pos = s.next[pos]) symbols[out++] = symbols[pos];
  symbols.resize(out);
  // A huge word would otherwise pin its scratch memory in this thread for good.
  if (n > kKeepScratchSymbols) s = Scratch{};
}

}  // namespace clipforge::text

#include "text/train.h"

#include <algorithm>
#include <queue>
#include <unordered_map>

#include "core/error.h"
#include "text/byte_symbols.h"
#include "text/clean.h"
#include "text/pretokenize.h"
#include "text/vocab_io.h"

namespace clipforge::text {
namespace {

struct Word {
  std::vector<std::int32_t> symbols;
  std::int64_t count = 0;
};

std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
  return (static_cast<std::uint64_t>(left) << 32) | static_cast<std::uint32_t>(right);
}

struct Candidate {
  std::int64_t count;
  std::uint64_t key;
  // Lower priority: fewer occurrences, or on a tie the larger pair key.
  bool operator<(const Candidate& other) const { return count != other.count ? count < other.count : key > other.key; }
};

// Distinct pre-tokens of all captions with their frequencies, as byte-symbol ids.
std::vector<Word> count_words(const std::vector<std::string>& captions,
                              const std::unordered_map<std::string, std::int32_t>& ids) {
  PreTokenizer pretokenizer;
  std::unordered_map<std::string, std::int64_t> counts;
  std::vector<std::string_view> pieces;
  for (const std::string& caption : captions) {
    const std::string cleaned = clean_text(caption);
    pretokenizer.split(cleaned, pieces);
    for (std::string_view piece : pieces) {
      if (piece != kStartOfText && piece != kEndOfText) ++counts[std::string(piece)];
    }
  }
  std::vector<Word> words;
  words.reserve(counts.size());
  for (const auto& [piece, count] : counts) {
    Word word;
    word.count = count;
    for (std::size_t i = 0; i < piece.size(); ++i) {
      std::string symbol = byte_symbol(static_cast<unsigned char>(piece[i]));
      if (i + 1 == piece.size()) symbol += kEndOfWord;
      word.symbols.push_back(ids.at(symbol));
    }
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace

std::vector<Merge> train_bpe(const std::vector<std::string>& captions, std::size_t vocab_size,
                             std::size_t min_pair_count) {
  if (vocab_size < kNonMergeIds) {
    throw usage_error("vocabulary size must be at least " + std::to_string(kNonMergeIds) + " (bytes and specials), got " +
                      std::to_string(vocab_size));
  }
  // Symbols start as the 512 byte symbols in OpenAI's id order; merge results are appended,
  // and a result spelled like an existing symbol reuses its id (a word has one spelling).
  std::vector<std::string> tokens;
  for (unsigned char byte : bytes_in_vocab_order()) tokens.push_back(byte_symbol(byte));
  for (unsigned char byte : bytes_in_vocab_order()) tokens.push_back(byte_symbol(byte) + std::string(kEndOfWord));
  std::unordered_map<std::string, std::int32_t> ids;
  for (std::size_t id = 0; id < tokens.size(); ++id) ids[tokens[id]] = static_cast<std::int32_t>(id);

  std::vector<Word> words = count_words(captions, ids);
  std::unordered_map<std::uint64_t, std::int64_t> pair_counts;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> words_with_pair;
  const auto add_pairs = [&](std::uint32_t w, std::int64_t sign, std::int32_t fresh, std::vector<std::uint64_t>* touched) {
    const Word& word = words[w];
    for (std::size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const std::uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
      pair_counts[key] += sign * word.count;
      // Only pairs with the new symbol can gain occurrences; the others only lose them.
      if (sign > 0 && (fresh < 0 || word.symbols[i] == fresh || word.symbols[i + 1] == fresh)) {
        words_with_pair[key].push_back(w);
        if (touched) touched->push_back(key);
      }
    }
  };
  for (std::uint32_t w = 0; w < words.size(); ++w) add_pairs(w, 1, -1, nullptr);

  std::priority_queue<Candidate> queue;
  for (const auto& [key, count] : pair_counts) queue.push({count, key});

  const std::size_t target = vocab_size - kNonMergeIds;
  std::vector<Merge> merges;
  std::vector<std::uint32_t> last_merge(words.size(), UINT32_MAX);
  std::vector<std::uint64_t> touched;
  while (merges.size() < target && !queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const std::int64_t current = pair_counts[top.key];
    if (current != top.count) {  // stale entry: requeue with the count it has now
      if (current > 0) queue.push({current, top.key});
      continue;
    }
    if (current < static_cast<std::int64_t>(min_pair_count)) break;

    const auto left = static_cast<std::int32_t>(top.key >> 32);
    const auto right = static_cast<std::int32_t>(top.key & 0xFFFFFFFFu);
    const std::string joined = tokens[left] + tokens[right];
    auto [it, added] = ids.emplace(joined, static_cast<std::int32_t>(tokens.size()));
    if (added) tokens.push_back(joined);
    const std::int32_t result = it->second;
    const auto stamp = static_cast<std::uint32_t>(merges.size());
    merges.push_back({tokens[left], tokens[right], 0});

    touched.clear();
    const std::vector<std::uint32_t> candidates = std::move(words_with_pair[top.key]);
    words_with_pair.erase(top.key);
    for (std::uint32_t w : candidates) {
      if (last_merge[w] == stamp) continue;
      last_merge[w] = stamp;
      add_pairs(w, -1, -1, nullptr);
      std::vector<std::int32_t>& symbols = words[w].symbols;
      std::size_t out = 0;
      for (std::size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          symbols[out++] = result;
          i += 2;
        } else {
          symbols[out++] = symbols[i++];
        }
      }
      symbols.resize(out);
      add_pairs(w, 1, result, &touched);
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    for (std::uint64_t key : touched) queue.push({pair_counts[key], key});
  }
  return merges;
}

}  // namespace clipforge::text

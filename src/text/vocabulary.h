// The token table of a byte-level BPE vocabulary and its merge rules, independent of the file
// format it came from.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace clipforge::text {

// One merge rule as written in a merges file: two symbols (byte symbols, "</w>"-marked symbols
// or earlier merge results). `line` is where it was read, 0 when it was not read from a file.
struct Merge {
  std::string left;
  std::string right;
  std::size_t line = 0;
};

// A merge rule in ids; its index in Vocabulary::rules() is its rank (lower merges first).
struct MergeRule {
  std::int32_t left;
  std::int32_t right;
  std::int32_t result;
};

class Vocabulary {
 public:
  // OpenAI's layout: ids 0..255 are the byte symbols, 256..511 the same with "</w>", then one
  // token per merge, then (with `empty_entry`) the token "" that no rule produces, then
  // <|startoftext|> and <|endoftext|> (the two highest ids). Throws input_error
  // "<source>:<line>: ..." for a merge whose symbols no earlier rule defines.
  static Vocabulary from_merges(const std::vector<Merge>& merges, const std::string& source, bool empty_entry = false);

  // Hugging Face's layout: `tokens[id]` from vocab.json, merges from merges.txt. Every byte
  // symbol, both specials and every merge's symbols and result must be tokens.
  static Vocabulary from_tokens(std::vector<std::string> tokens, const std::vector<Merge>& merges,
                                const std::string& tokens_source, const std::string& merges_source);

  std::size_t size() const { return tokens_.size(); }
  const std::string& token(std::int32_t id) const { return tokens_.at(static_cast<std::size_t>(id)); }
  std::int32_t byte_id(unsigned char byte, bool end_of_word) const {
    return end_of_word ? byte_end_ids_[byte] : byte_ids_[byte];
  }
  std::int32_t start_of_text() const { return start_of_text_; }
  std::int32_t end_of_text() const { return end_of_text_; }
  const std::vector<MergeRule>& rules() const { return rules_; }

 private:
  Vocabulary() = default;
  // `ids` maps each token string to its id (for repeated strings, the last one, as a Python
  // dict built from the list would).
  void resolve(const std::unordered_map<std::string, std::int32_t>& ids, const std::vector<Merge>& merges,
               const std::string& tokens_source, const std::string& merges_source);

  std::vector<std::string> tokens_;
  std::array<std::int32_t, 256> byte_ids_{};
  std::array<std::int32_t, 256> byte_end_ids_{};
  std::int32_t start_of_text_ = 0;
  std::int32_t end_of_text_ = 0;
  std::vector<MergeRule> rules_;
};

}  // namespace clipforge::text

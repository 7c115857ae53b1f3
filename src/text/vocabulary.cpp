#include "text/vocabulary.h"

#include "core/error.h"
#include "text/byte_symbols.h"

namespace clipforge::text {
namespace {

std::string at_line(const std::string& source, std::size_t line) {
  return line == 0 ? source : source + ":" + std::to_string(line);
}

std::unordered_map<std::string, std::int32_t> index_tokens(const std::vector<std::string>& tokens) {
  std::unordered_map<std::string, std::int32_t> ids;
  ids.reserve(tokens.size());
  for (std::size_t id = 0; id < tokens.size(); ++id) ids[tokens[id]] = static_cast<std::int32_t>(id);
  return ids;
}

}  // namespace

Vocabulary Vocabulary::from_merges(const std::vector<Merge>& merges, const std::string& source, bool empty_entry) {
  Vocabulary vocab;
  vocab.tokens_.reserve(512 + merges.size() + 3);
  for (unsigned char byte : bytes_in_vocab_order()) vocab.tokens_.push_back(byte_symbol(byte));
  for (unsigned char byte : bytes_in_vocab_order()) vocab.tokens_.push_back(byte_symbol(byte) + std::string(kEndOfWord));
  for (const Merge& merge : merges) vocab.tokens_.push_back(merge.left + merge.right);
  if (empty_entry) vocab.tokens_.emplace_back();
  vocab.tokens_.emplace_back(kStartOfText);
  vocab.tokens_.emplace_back(kEndOfText);
  vocab.resolve(index_tokens(vocab.tokens_), merges, source, source);
  return vocab;
}

Vocabulary Vocabulary::from_tokens(std::vector<std::string> tokens, const std::vector<Merge>& merges,
                                   const std::string& tokens_source, const std::string& merges_source) {
  Vocabulary vocab;
  vocab.tokens_ = std::move(tokens);
  vocab.resolve(index_tokens(vocab.tokens_), merges, tokens_source, merges_source);
  return vocab;
}

void Vocabulary::resolve(const std::unordered_map<std::string, std::int32_t>& ids, const std::vector<Merge>& merges,
                         const std::string& tokens_source, const std::string& merges_source) {
  const auto require = [&](const std::string& token) {
    auto it = ids.find(token);
    if (it == ids.end()) throw input_error(tokens_source + ": token '" + token + "' is missing");
    return it->second;
  };
  for (int byte = 0; byte < 256; ++byte) {
    const std::string& symbol = byte_symbol(static_cast<unsigned char>(byte));
    byte_ids_[byte] = require(symbol);
    byte_end_ids_[byte] = require(symbol + std::string(kEndOfWord));
  }
  start_of_text_ = require(std::string(kStartOfText));
  end_of_text_ = require(std::string(kEndOfText));

  // A rule may only use symbols that the bytes or earlier rules can produce; otherwise the file
  // is not a BPE merge list (or its lines were garbled).
  std::vector<bool> producible(tokens_.size(), false);
  for (int byte = 0; byte < 256; ++byte) producible[byte_ids_[byte]] = producible[byte_end_ids_[byte]] = true;
  rules_.clear();
  rules_.reserve(merges.size());
  for (const Merge& merge : merges) {
    MergeRule rule{};
    for (auto [symbol, id] : {std::pair{&merge.left, &rule.left}, std::pair{&merge.right, &rule.right}}) {
      auto it = ids.find(*symbol);
      if (it == ids.end() || !producible[it->second]) {
        throw input_error(at_line(merges_source, merge.line) + ": merge symbol '" + *symbol +
                          "' is neither a byte symbol nor the result of an earlier merge");
      }
      *id = it->second;
    }
    auto joined = ids.find(merge.left + merge.right);
    if (joined == ids.end()) {
      throw input_error(at_line(merges_source, merge.line) + ": merge result '" + merge.left + merge.right +
                        "' is not in " + tokens_source);
    }
    rule.result = joined->second;
    producible[rule.result] = true;
    rules_.push_back(rule);
  }
}

}  // namespace clipforge::text

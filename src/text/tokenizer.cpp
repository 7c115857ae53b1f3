#include "text/tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "text/byte_symbols.h"
#include "text/clean.h"
#include "text/utf8.h"
#include "text/vocab_io.h"

namespace clipforge::text {

Tokenizer::Tokenizer(Vocabulary vocabulary)
    : vocabulary_(std::move(vocabulary)),
      merger_(vocabulary_.rules()),
      pretokenizer_(std::make_unique<PreTokenizer>()),
      cache_(std::make_unique<WordCache>()) {}

Tokenizer Tokenizer::from_file(const std::string& path) { return Tokenizer(load_vocabulary(path)); }

void Tokenizer::append_piece(std::string_view piece, std::vector<std::int32_t>& out) const {
  // Only the exact lower-case text is special: the reference finds specials by exact lookup.
  if (piece == kStartOfText) {
    out.push_back(vocabulary_.start_of_text());
    return;
  }
  if (piece == kEndOfText) {
    out.push_back(vocabulary_.end_of_text());
    return;
  }
  if (cache_->append(piece, out)) return;
  thread_local std::vector<std::int32_t> symbols;
  symbols.clear();
  for (std::size_t i = 0; i < piece.size(); ++i) {
    symbols.push_back(vocabulary_.byte_id(static_cast<unsigned char>(piece[i]), i + 1 == piece.size()));
  }
  merger_.merge(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
  cache_->insert(piece, symbols.data(), symbols.size());
}

std::vector<std::int32_t> Tokenizer::encode_bpe(std::string_view text) const {
  const std::string cleaned = clean_text(text);
  thread_local std::vector<std::string_view> pieces;
  pretokenizer_->split(cleaned, pieces);
  std::vector<std::int32_t> ids;
  ids.reserve(cleaned.size() / 3 + 4);
  for (std::string_view piece : pieces) append_piece(piece, ids);
  return ids;
}

void Tokenizer::encode_row(std::string_view text, std::int32_t* row, std::size_t length) const {
  const std::vector<std::int32_t> bpe = encode_bpe(text);
  std::fill(row, row + length, 0);
  row[0] = vocabulary_.start_of_text();
  const std::size_t kept = std::min(bpe.size(), length - 1);
  std::copy(bpe.begin(), bpe.begin() + static_cast<std::ptrdiff_t>(kept), row + 1);
  // Truncation keeps end-of-text last: pooling reads the features at that position.
  row[std::min(kept + 1, length - 1)] = vocabulary_.end_of_text();
}

namespace {
std::size_t checked_length(int context_length) {
  if (context_length < 1) throw usage_error("context length must be at least 1, got " + std::to_string(context_length));
  return static_cast<std::size_t>(context_length);
}
}  // namespace

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, int context_length) const {
  const std::size_t length = checked_length(context_length);
  std::vector<std::int32_t> row(length);
  encode_row(text, row.data(), length);
  return row;
}

std::vector<std::int32_t> Tokenizer::encode_batch(const std::vector<std::string>& texts, int context_length) const {
  const std::size_t length = checked_length(context_length);
  std::vector<std::int32_t> rows(texts.size() * length);
  for (std::size_t i = 0; i < texts.size(); ++i) encode_row(texts[i], rows.data() + i * length, length);
  return rows;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string bytes;
  for (std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= vocabulary_.size()) {
      throw mismatch_error("token id " + std::to_string(id) + " is outside the vocabulary of " +
                           std::to_string(vocabulary_.size()) + " ids");
    }
    if (id == vocabulary_.start_of_text()) continue;
    if (id == vocabulary_.end_of_text()) break;
    std::string_view token = vocabulary_.token(id);
    const bool end_of_word = token.size() >= kEndOfWord.size() && token.substr(token.size() - kEndOfWord.size()) == kEndOfWord;
    if (end_of_word) token.remove_suffix(kEndOfWord.size());
    std::size_t pos = 0;
    while (pos < token.size()) {
      if (auto byte = symbol_byte(next_code_point(token, pos))) bytes.push_back(static_cast<char>(*byte));
    }
    if (end_of_word) bytes.push_back(' ');
  }
  if (!bytes.empty() && bytes.back() == ' ') bytes.pop_back();
  return to_valid_utf8(bytes);
}

void Tokenizer::clear_cache() const { cache_->clear(); }

}  // namespace clipforge::text


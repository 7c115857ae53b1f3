// CLIP's byte-level BPE tokenizer: text -> ids as OpenAI's SimpleTokenizer produces them.
//
//   auto tokenizer = clipforge::text::Tokenizer::from_file("bpe_simple_vocab_16e6.txt.gz");
//   std::vector<int32_t> row = tokenizer.encode("A photo of a cat.", 77);  // 49406 ... 49407 0 0 ...
//
// One Tokenizer may be used from many threads at once: every method is const and the cache of
// merged words synchronises itself.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "text/bpe.h"
#include "text/pretokenize.h"
#include "text/vocabulary.h"
#include "text/word_cache.h"

namespace clipforge::text {

inline constexpr int kDefaultContextLength = 77;

class Tokenizer {
 public:
  explicit Tokenizer(Vocabulary vocabulary);
  // Any file load_vocabulary accepts.
  static Tokenizer from_file(const std::string& path);

  // A row of exactly `context_length` ids: start-of-text, the BPE ids, end-of-text, zeros. When
  // that does not fit, the first context_length ids are kept and the last becomes end-of-text.
  std::vector<std::int32_t> encode(std::string_view text, int context_length = kDefaultContextLength) const;

  // encode() of every text, as one row-major [texts.size(), context_length] block.
  std::vector<std::int32_t> encode_batch(const std::vector<std::string>& texts,
                                         int context_length = kDefaultContextLength) const;

  // The BPE ids alone: no specials, no truncation. Literal "<|startoftext|>" / "<|endoftext|>"
  // in the text (any case) give the special ids.
  std::vector<std::int32_t> encode_bpe(std::string_view text) const;

  // Ids -> text. Start-of-text is skipped and decoding stops at the first end-of-text, so an
  // encode() row decodes to its text. Every pre-token comes back followed by one space (the
  // trailing one is dropped): "a photo of a cat" round-trips exactly, "cat." comes back as
  // "cat .". Throws mismatch_error for an id outside the vocabulary.
  std::string decode(const std::vector<std::int32_t>& ids) const;

  const Vocabulary& vocabulary() const { return vocabulary_; }
  std::int32_t start_of_text() const { return vocabulary_.start_of_text(); }
  std::int32_t end_of_text() const { return vocabulary_.end_of_text(); }

  // Empties the word cache (benchmarks measure cold encoding with it).
  void clear_cache() const;

 private:
  void append_piece(std::string_view piece, std::vector<std::int32_t>& out) const;
  void encode_row(std::string_view text, std::int32_t* row, std::size_t length) const;

  Vocabulary vocabulary_;
  BpeMerger merger_;
  // Held by pointer so that Tokenizer stays movable (mutexes and compiled patterns are not).
  std::unique_ptr<PreTokenizer> pretokenizer_;
  std::unique_ptr<WordCache> cache_;
};

}  // namespace clipforge::text

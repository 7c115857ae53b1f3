// Reading and writing vocabularies: OpenAI's gzip merges file and Hugging Face's
// vocab.json + merges.txt pair.
//
//   Vocabulary vocab = load_vocabulary("bpe_simple_vocab_16e6.txt.gz");   // 49,408 ids
//   Vocabulary hf = load_vocabulary("clip-vit-base-patch32/");            // vocab.json + merges.txt
#pragma once

#include <string>
#include <vector>

#include "text/vocabulary.h"

namespace clipforge::text {

// Released CLIP models use this many ids: 512 byte symbols, 48,894 merges, 2 specials.
inline constexpr std::size_t kReleasedVocabSize = 49408;
// Ids that are not merges: the 256 byte symbols, the same with "</w>", and the two specials.
inline constexpr std::size_t kNonMergeIds = 512 + 2;

// A merges file (gzip or plain text). Line 1 is a header; "vocab_size=N" in it (as
// write_merges_file puts there) says how many merges to use, otherwise the released count is
// used, as OpenAI's code does with its file of 262,144 merges. Errors: input_error
// "<path>:<line>: ...".
Vocabulary load_merges_file(const std::string& path);

// Hugging Face's pair: vocab.json (token -> id) and merges.txt (all merges are used).
Vocabulary load_hf_vocabulary(const std::string& vocab_json_path, const std::string& merges_path);

// `path` is a merges file, a vocab.json (merges.txt beside it) or a folder holding both.
Vocabulary load_vocabulary(const std::string& path);

// Writes Hugging Face CLIPTokenizer's files into `dir`: vocab.json, merges.txt,
// tokenizer_config.json and special_tokens_map.json (specials as in openai/clip-vit-*: padding
// with <|endoftext|>).
void write_hf_tokenizer(const std::string& dir, const Vocabulary& vocab, int context_length);

// Writes merges in OpenAI's format, gzip-compressed, with "vocab_size=N" in the header so the
// loader uses exactly these merges. The file appears atomically.
void write_merges_file(const std::string& path, const std::vector<Merge>& merges);

}  // namespace clipforge::text

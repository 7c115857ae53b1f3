// CLIP's pre-tokenisation: the split of cleaned text into the pieces BPE works on.
#pragma once

#include <string_view>
#include <vector>

namespace clipforge::text {

// Splits with the case-insensitive pattern
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (`\s` read as Python's regex module reads it: White_Space) with PCRE2 in UTF + Unicode-property
// mode, JIT-compiled. Safe to share between threads.
class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Replaces `pieces` with views into `text`, which must be valid UTF-8 (clean_text's output).
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8, kept out of the header so PCRE2 stays private
  bool jit_ = false;
};

}  // namespace clipforge::text

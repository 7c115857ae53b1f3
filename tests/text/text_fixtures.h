// Shared by the text tests: the released OpenAI vocabulary and the reference tokenizer cases
// (loaded once per run), readable id diffs, and the message of an expected clipforge::Error.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace clipforge::testing {

struct TokenizerCase {
  std::string text;
  std::vector<std::int32_t> ids;  // the 77-long row
  std::vector<std::int32_t> bpe;  // raw BPE ids
};

// Loaded from `path` on first use and shared by every test (the tokenizer is thread-safe).
const text::Tokenizer& openai_tokenizer(const std::string& path);

std::vector<TokenizerCase> read_tokenizer_cases(const std::string& path);

// "" when equal, else where and how `actual` first differs from `expected`, for test output.
std::string first_difference(const std::vector<std::int32_t>& actual, const std::vector<std::int32_t>& expected);

// Runs `action`, which must throw clipforge::Error of kind input; returns its message (or a
// description of what happened instead, which then fails the caller's comparison).
std::string input_error_message(const std::function<void()>& action);

}  // namespace clipforge::testing

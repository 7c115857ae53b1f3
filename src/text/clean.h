// Text cleaning ahead of CLIP's pre-tokenisation; the reference README ("Tokenizer cases")
// lists the steps this reproduces.
#pragma once

#include <string>
#include <string_view>

namespace clipforge::text {

// Any bytes -> the cleaned text BPE sees: invalid UTF-8 replaced by U+FFFD, Unicode NFC, HTML
// unescaped twice, whitespace runs collapsed to one space and stripped, full Unicode lower case
// (root locale: "İ" -> "i" + U+0307, word-final "Σ" -> "ς").
std::string clean_text(std::string_view raw);

// Python's str.isspace(), which the reference's `\s` and strip() use: Unicode White_Space plus
// the information separators U+001C..U+001F.
bool is_python_space(char32_t code_point);

}  // namespace clipforge::text

// GPT-2/CLIP's byte-to-unicode table: every byte gets a printable symbol, so BPE tokens are
// ordinary strings without spaces or control characters.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace clipforge::text {

inline constexpr std::string_view kEndOfWord = "</w>";
inline constexpr std::string_view kStartOfText = "<|startoftext|>";
inline constexpr std::string_view kEndOfText = "<|endoftext|>";

// The 256 bytes in the order they take ids 0..255 in OpenAI's vocabulary: printable bytes
// ('!'..'~', '¡'..'¬', '®'..'ÿ') first, then the rest.
const std::array<unsigned char, 256>& bytes_in_vocab_order();

// UTF-8 of the symbol standing for `byte`.
const std::string& byte_symbol(unsigned char byte);

// The byte a symbol code point stands for, if it is one.
std::optional<unsigned char> symbol_byte(char32_t code_point);

}  // namespace clipforge::text

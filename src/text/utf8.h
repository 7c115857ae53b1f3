// UTF-8 helpers shared by cleaning, pre-tokenising and decoding.
#pragma once

#include <string>
#include <string_view>

namespace clipforge::text {

bool is_ascii(std::string_view text);

// Replaces every ill-formed sequence by U+FFFD the way Python's
// bytes.decode("utf-8", errors="replace") does (one U+FFFD per maximal invalid subpart), so text
// from files and stdin never reaches the Unicode code paths broken.
std::string to_valid_utf8(std::string_view bytes);

// Decodes the code point starting at text[pos] of *valid* UTF-8 and advances pos past it.
char32_t next_code_point(std::string_view text, std::size_t& pos);

void append_utf8(std::string& out, char32_t code_point);

}  // namespace clipforge::text

#include "core/base64.h"

#include <array>

#include "core/error.h"

namespace clipforge {

namespace {
constexpr std::array<signed char, 256> decoding_table() {
  std::array<signed char, 256> table{};
  for (auto& v : table) v = -1;
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
  return table;
}
constexpr auto kTable = decoding_table();
}  // namespace

std::string base64_decode(std::string_view text, const std::string& name) {
  size_t offset = 0;
  if (text.substr(0, 5) == "data:") {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") == std::string_view::npos)
      throw input_error(name + ": a data URL must be base64 (data:<type>;base64,<data>)");
    offset = comma + 1;
  }
  size_t end = text.size();
  for (int pad = 0; pad < 2 && end > offset && text[end - 1] == '='; ++pad) --end;
  std::string out;
  out.reserve((end - offset) * 3 / 4);
  unsigned int bits = 0;
  int held = 0;
  for (size_t i = offset; i < end; ++i) {
    const int v = kTable[static_cast<unsigned char>(text[i])];
    if (v < 0) throw input_error(name + ": not base64 at character " + std::to_string(i));
    bits = (bits << 6) | static_cast<unsigned int>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<char>((bits >> held) & 0xFF));
    }
  }
  // One leftover character carries 6 bits, less than a byte: no encoder writes that.
  if (held >= 6) throw input_error(name + ": base64 ends mid-byte (length " + std::to_string(end - offset) + ")");
  return out;
}

}  // namespace clipforge

#include "text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "text/utf8.h"

namespace clipforge::text {
namespace {

struct NamedReference {
  std::string_view name;  // without the leading '&'
  std::string_view value;
};
struct NumericOverride {
  char32_t number;
  std::string_view value;
};

#include "text/html_entities.inc"

// Python's pattern reads at most this many characters of a name.
constexpr std::size_t kMaxNameChars = 32;
// Anything above the Unicode range is replaced alike, so larger numbers need no exact value.
constexpr std::uint64_t kNumberCap = 0x110000;

const std::string_view* find_named(std::string_view name) {
  const auto* begin = std::begin(kNamedReferences);
  const auto* end = std::end(kNamedReferences);
  const auto* it = std::lower_bound(begin, end, name,
                                    [](const NamedReference& ref, std::string_view key) { return ref.name < key; });
  return it != end && it->name == name ? &it->value : nullptr;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }

void append_numeric(std::string& out, std::uint64_t number) {
  for (const auto& entry : kNumericOverrides) {
    if (entry.number == number) {
      out.append(entry.value);
      return;
    }
  }
  if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) {
    append_utf8(out, 0xFFFD);
    return;
  }
  const auto cp = static_cast<char32_t>(number);
  if (std::binary_search(std::begin(kDroppedCodePoints), std::end(kDroppedCodePoints), cp)) return;
  append_utf8(out, cp);
}

// Tries "#123;" / "#x1F;" after the '&' at text[amp]; returns the end of the reference or 0.
std::size_t numeric_reference(std::string_view text, std::size_t amp, std::string& out) {
  std::size_t pos = amp + 2;
  const bool hex = pos < text.size() && (text[pos] == 'x' || text[pos] == 'X');
  if (hex) ++pos;
  const std::size_t digits_begin = pos;
  std::uint64_t number = 0;
  while (pos < text.size() && (hex ? is_hex_digit(text[pos]) : is_digit(text[pos]))) {
    number = std::min<std::uint64_t>(number * (hex ? 16 : 10) + (hex ? hex_value(text[pos]) : text[pos] - '0'),
                                      kNumberCap);
    ++pos;
  }
  if (pos == digits_begin) return 0;
  if (pos < text.size() && text[pos] == ';') ++pos;
  append_numeric(out, number);
  return pos;
}

bool ends_name(char c) {
  return c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';';
}

// Tries a named reference after the '&' at text[amp]; returns the end of what Python's pattern
// matched, or 0 when it matched nothing.
std::size_t named_reference(std::string_view text, std::size_t amp, std::string& out) {
  std::size_t pos = amp + 1;
  std::size_t chars = 0;
  std::size_t ascii_prefix = 0;  // leading ASCII bytes: only they can match a (pure-ASCII) name
  bool all_ascii_so_far = true;
  while (pos < text.size() && chars < kMaxNameChars && !ends_name(text[pos])) {
    if (static_cast<unsigned char>(text[pos]) >= 0x80) all_ascii_so_far = false;
    next_code_point(text, pos);
    ++chars;
    if (all_ascii_so_far) ++ascii_prefix;
  }
  if (chars == 0) return 0;
  if (pos < text.size() && text[pos] == ';') {
    ++pos;
    ++chars;
    if (all_ascii_so_far) ++ascii_prefix;
  }
  const std::string_view name = text.substr(amp + 1, pos - amp - 1);
  if (const auto* value = find_named(name)) {
    out.append(*value);
    return pos;
  }
  // Longest known prefix of at most chars - 1 characters and at least 2, as Python tries them.
  for (std::size_t length = std::min(ascii_prefix, chars - 1); length >= 2; --length) {
    if (const auto* value = find_named(name.substr(0, length))) {
      out.append(*value);
      out.append(name.substr(length));
      return pos;
    }
  }
  out.push_back('&');
  out.append(name);
  return pos;
}

}  // namespace

std::string html_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, amp - pos));
    const bool numeric = amp + 1 < text.size() && text[amp + 1] == '#';
    const std::size_t end = numeric ? numeric_reference(text, amp, out) : named_reference(text, amp, out);
    if (end == 0) {
      out.push_back('&');
      pos = amp + 1;
    } else {
      pos = end;
    }
  }
  return out;
}

}  // namespace clipforge::text

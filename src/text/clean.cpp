#include "text/clean.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include "core/error.h"
#include "text/html_unescape.h"
#include "text/utf8.h"

namespace clipforge::text {

bool is_python_space(char32_t cp) {
  return (cp >= 0x1C && cp <= 0x1F) || u_isUWhiteSpace(static_cast<UChar32>(cp));
}

namespace {

void check_icu(UErrorCode status, const char* what) {
  if (U_FAILURE(status)) throw runtime_error(std::string("ICU ") + what + " failed: " + u_errorName(status));
}

std::string to_nfc(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  check_icu(status, "NFC instance");
  if (nfc->isNormalizedUTF8(text, status) && U_SUCCESS(status)) return text;
  status = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
  nfc->normalizeUTF8(0, text, sink, nullptr, status);
  check_icu(status, "NFC normalisation");
  return out;
}

std::string to_lower(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
  // "" is the root locale (nullptr would pick the process locale and turn İ into Turkish i).
  icu::CaseMap::utf8ToLower("", 0, text, sink, nullptr, status);
  check_icu(status, "lower-casing");
  return out;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// Collapses whitespace runs and strips; for ASCII text it lower-cases in the same pass.
std::string collapse_whitespace(const std::string& text, bool ascii) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t begin = pos;
    const char32_t cp = ascii ? static_cast<unsigned char>(text[pos++]) : next_code_point(text, pos);
    if (is_python_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (ascii) {
      out.push_back(ascii_lower(text[begin]));
    } else {
      out.append(text, begin, pos - begin);
    }
  }
  return out;
}

}  // namespace

std::string clean_text(std::string_view raw) {
  std::string text = to_valid_utf8(raw);
  if (!is_ascii(text)) text = to_nfc(text);
  if (text.find('&') != std::string::npos) text = html_unescape(html_unescape(text));
  if (is_ascii(text)) return collapse_whitespace(text, true);
  return to_lower(collapse_whitespace(text, false));
}

}  // namespace clipforge::text

#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/pretokenize.h"

#include <pcre2.h>

#include <memory>

#include "core/error.h"

namespace clipforge::text {
namespace {

// CLIP's pattern with `\s` spelled \p{White_Space}: that is what `\s` means in Python's regex
// module, while PCRE2's `\s` also takes U+180E (MONGOLIAN VOWEL SEPARATOR, a format character),
// which would silently drop it from the text.
constexpr std::string_view kPattern =
    R"(<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+)";

pcre2_code* as_code(void* code) { return static_cast<pcre2_code*>(code); }

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

// Match data is per call state; one per thread serves every PreTokenizer.
pcre2_match_data* thread_match_data() {
  thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(pcre2_match_data_create(1, nullptr));
  return data.get();
}

}  // namespace

PreTokenizer::PreTokenizer() {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern.data()), kPattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &error, &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    throw runtime_error("pre-tokeniser pattern does not compile: " + std::string(reinterpret_cast<char*>(message)));
  }
  code_ = code;
  // Without JIT (e.g. a PCRE2 built without it) the interpreter gives the same matches, slower.
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

PreTokenizer::~PreTokenizer() { pcre2_code_free(as_code(code_)); }

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  pieces.clear();
  pcre2_match_data* data = thread_match_data();
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  PCRE2_SIZE start = 0;
  while (start < text.size()) {
    // NO_UTF_CHECK: the text was validated once; checking per match would be quadratic.
    const int found = jit_ ? pcre2_jit_match(as_code(code_), subject, text.size(), start, PCRE2_NO_UTF_CHECK, data, nullptr)
                           : pcre2_match(as_code(code_), subject, text.size(), start, PCRE2_NO_UTF_CHECK, data, nullptr);
    if (found == PCRE2_ERROR_NOMATCH) break;
    if (found < 0) throw runtime_error("pre-tokeniser match failed with PCRE2 error " + std::to_string(found));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
    pieces.emplace_back(text.data() + ovector[0], ovector[1] - ovector[0]);
    start = ovector[1];
  }
}

}  // namespace clipforge::text

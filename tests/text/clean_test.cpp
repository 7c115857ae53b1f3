// Cleaning, HTML unescaping, UTF-8 repair and pre-tokenising, each checked against what
// Python (html.unescape, str.lower, bytes.decode(errors="replace"), the regex module) gives.
#include <catch2/catch.hpp>

#include "text/clean.h"
#include "text/html_unescape.h"
#include "text/pretokenize.h"
#include "text/utf8.h"

using namespace clipforge::text;

TEST_CASE("ill-formed UTF-8 becomes one U+FFFD per maximal invalid subpart", "[text][clean]") {
  CHECK(to_valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(to_valid_utf8("\xE2\x82") == "\xEF\xBF\xBD");                          // cut sequence: one
  CHECK(to_valid_utf8("\xE0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD");              // overlong: two
  CHECK(to_valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  CHECK(to_valid_utf8("\xF0\x9F\x98\x80") == "\xF0\x9F\x98\x80");
}

TEST_CASE("HTML references follow Python's html.unescape", "[text][clean]") {
  CHECK(html_unescape("?a=1&notify=yes") == "?a=1\xC2\xAC" "ify=yes");  // legacy name without ';'
  CHECK(html_unescape("&amp;lt;") == "&lt;");                            // one pass only
  CHECK(html_unescape("&#x27;&#39;&#X41;") == "''A");
  CHECK(html_unescape("&#128;") == "\xE2\x82\xAC");      // Windows-1252 replacement
  CHECK(html_unescape("&#0;&#x110000;") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(html_unescape("a&#1;b") == "ab");                 // dropped control code point
  CHECK(html_unescape("&#;&#x;&;& x") == "&#;&#x;&;& x");  // not references
  CHECK(html_unescape("&AEligA") == "\xC3\x86" "A");      // longest known prefix
  CHECK(html_unescape("&unknown;") == "&unknown;");
  CHECK(html_unescape("&CounterClockwiseContourIntegral;") == "\xE2\x88\xB3");
}

TEST_CASE("cleaning unescapes twice, collapses whitespace and lower-cases fully", "[text][clean]") {
  CHECK(clean_text("&amp;lt;b&amp;gt;") == "<b>");
  CHECK(clean_text("  A\t\tPhoto\n\xE3\x80\x80OF\x1F" "a   Cat  ") == "a photo of a cat");
  CHECK(clean_text("\xC4\xB0stanbul") == "i\xCC\x87stanbul");                  // İ -> i + U+0307
  CHECK(clean_text("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3") == "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");  // final ς
  CHECK(clean_text("\xCE\xA3\xCE\x91") == "\xCF\x83\xCE\xB1");                 // non-final σ
  CHECK(clean_text("A\xCC\x8A") == "\xC3\xA5");                                // NFC then lower: å
  CHECK(clean_text(" \t\n ") == "");
  CHECK(clean_text("") == "");
}

TEST_CASE("pre-tokenising splits contractions, letter runs, single digits and symbol runs", "[text][clean]") {
  const PreTokenizer pretokenizer;
  std::vector<std::string_view> pieces;
  pretokenizer.split("don't stop 2024!! <|endoftext|>x", pieces);
  CHECK(std::vector<std::string>(pieces.begin(), pieces.end()) ==
        std::vector<std::string>{"don", "'t", "stop", "2", "0", "2", "4", "!!", "<|endoftext|>", "x"});
  // U+180E is no White_Space for Python's regex module, so it stays (PCRE2's own \s drops it).
  pretokenizer.split("a\xE1\xA0\x8E" "b", pieces);
  CHECK(std::vector<std::string>(pieces.begin(), pieces.end()) == std::vector<std::string>{"a", "\xE1\xA0\x8E", "b"});
}

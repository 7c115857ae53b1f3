// HTML character references resolved exactly as Python's html.unescape does (HTML5 rules).
#pragma once

#include <string>
#include <string_view>

namespace clipforge::text {

// One pass of Python's html.unescape on valid UTF-8: named references from the HTML5 table,
// including the legacy names that need no ';' ("&notify" -> "¬ify") and the longest known
// prefix of an unknown name; "&#..;" / "&#x..;" with the HTML5 replacements for invalid numbers.
// The output of a pass is not rescanned; CLIP applies two passes.
std::string html_unescape(std::string_view text);

}  // namespace clipforge::text

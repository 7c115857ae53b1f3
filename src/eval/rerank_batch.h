// One line of `clipforge rerank --batch FILE.jsonl`: {"prompt": "...", "images": ["a.png", ...]}.
// Kept free of LibTorch so the parser can be fuzzed on its own.
#pragma once

#include <string>
#include <vector>

namespace clipforge {

struct RerankRequest {
  std::string prompt;
  std::vector<std::string> images;
};

// Throws input_error starting with `where` (file:line) for anything but that shape.
RerankRequest parse_rerank_request(const std::string& line, const std::string& where);

}  // namespace clipforge

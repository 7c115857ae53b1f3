// `clipforge zeroshot`: class names and templates become a (cached) classifier; every image
// gets its top-k labels, written as a table or as one JSON line per image.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "eval/encoder.h"

namespace clipforge {

struct ZeroshotOptions {
  EncoderOptions encoder;
  std::string classes;               // file or comma list
  std::string templates = "general"; // literal with {}, file, or built-in set name
  int top_k = 5;
  bool json = false;
  std::string cache_dir;             // empty: default_cache_dir()
  bool use_cache = true;
  std::vector<std::string> inputs;   // image files and folders
};

struct ZeroshotSummary {
  int64_t classified = 0;
  int64_t skipped = 0;
  bool classifier_from_cache = false;
  int64_t text_tower_calls = 0;
};

// Results go to `out` as each batch finishes; notes and skipped files to `log`. Throws
// input_error when no image could be classified at all.
ZeroshotSummary run_zeroshot(const ZeroshotOptions& options, std::ostream& out, std::ostream& log);

}  // namespace clipforge

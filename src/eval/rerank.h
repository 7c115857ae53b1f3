// `clipforge rerank`: images ordered by how well they match a prompt (CLIP score), for picking
// the best of N generated images. Batch mode streams one result line per JSONL input line.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "eval/encoder.h"

namespace clipforge {

struct RerankOptions {
  EncoderOptions encoder;
  std::string prompt;
  std::vector<std::string> inputs;  // image files and folders (single-prompt mode)
  std::string batch_file;           // JSONL {"prompt": ..., "images": [...]} per line
  int top_k = 0;                    // 0 = all
  bool json = false;
};

// [{"rank", "image", "clip_score", "cosine"}, ...] best first (ties keep input order) for
// cosines [n] of images named by `names`; top_k = 0 keeps all.
nlohmann::json ranking_of(const torch::Tensor& cosines, const std::vector<nlohmann::json>& names, int top_k);

// {"prompt", "ranking": ranking_of(...)} for image files and folders; images
// that cannot be read are reported on `log` and left out.
nlohmann::json rank_images(Encoder& encoder, const std::string& prompt, const std::vector<std::string>& images, int top_k,
                           std::ostream& log);

// Returns the number of prompts ranked. A malformed batch line is reported on `log` with its
// line number and answered with {"line": N, "error": ...} so output lines match input lines.
int64_t run_rerank(const RerankOptions& options, std::ostream& out, std::ostream& log);

}  // namespace clipforge

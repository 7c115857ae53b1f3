// Image-text retrieval metrics on paired embeddings (row i of each is one pair).
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

namespace clipforge {

// {"image_to_text_R@1": .., "R@5", "R@10", "text_to_image_R@1", ...} for L2-normalised
// features [n, dim]: a query scores a hit at k when fewer than k candidates score strictly higher
// than its own pair (ties count for it: identical captions do not push each other out).
nlohmann::json retrieval_recall(const torch::Tensor& image_features, const torch::Tensor& text_features);

}  // namespace clipforge

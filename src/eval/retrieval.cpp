#include "eval/retrieval.h"

#include <torch/torch.h>

namespace clipforge {
namespace {

// Rank (0-based) of each row's own column among that row's scores: only strictly higher scores
// rank above it, so ties count in its favour.
torch::Tensor rank_of_diagonal(const torch::Tensor& scores) {
  torch::Tensor own = scores.diagonal().unsqueeze(1);  // [n, 1]
  return (scores > own).sum(1);                        // [n]
}

}  // namespace

nlohmann::json retrieval_recall(const torch::Tensor& image_features, const torch::Tensor& text_features) {
  torch::Tensor scores = torch::matmul(image_features.to(torch::kFloat), text_features.to(torch::kFloat).t());
  torch::Tensor i2t = rank_of_diagonal(scores), t2i = rank_of_diagonal(scores.t());
  nlohmann::json out;
  for (int k : {1, 5, 10}) {
    out["image_to_text_R@" + std::to_string(k)] = (i2t < k).to(torch::kFloat).mean().item<double>();
    out["text_to_image_R@" + std::to_string(k)] = (t2i < k).to(torch::kFloat).mean().item<double>();
  }
  return out;
}

}  // namespace clipforge

// What `clipforge serve` computes: one loaded model shared by every request through the
// batcher, with image decoding on its own pool. Each endpoint takes a parsed request
// (requests.h) and gives the JSON the matching CLI command prints for the same inputs, images
// named by their index in the request instead of a path.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/encoder.h"
#include "index/vector_index.h"
#include "serve/batcher.h"
#include "serve/metrics.h"
#include "serve/requests.h"
#include "serve/task_pool.h"

namespace clipforge::serve {

// An answer body: JSON, or .npy bytes for /v1/embed with format npy.
struct Reply {
  std::string body;
  std::string content_type = "application/json";
};

class Service {
 public:
  // Loads the model, vocabulary and index (seconds for a large model) and starts the threads.
  // Throws clipforge::Error for files that cannot be used.
  Service(const ServeOptions& options, Metrics& metrics);
  ~Service();

  Reply embed(const EmbedRequest& request, Clock::time_point deadline);
  Reply score(const ScoreRequest& request, Clock::time_point deadline);
  Reply rerank(const RerankRequest& request, Clock::time_point deadline);
  Reply zeroshot(const ZeroshotRequest& request, Clock::time_point deadline);
  Reply search(const SearchRequest& request, Clock::time_point deadline);

  // Model name, embedding size, image size, context length, index rows: GET /readyz's body.
  nlohmann::json describe() const;
  int64_t queued_rows() const { return batcher_->queued_rows(); }

 private:
  torch::Tensor images_to_pixels(const std::vector<std::string>& images, const std::string& field);
  std::future<torch::Tensor> submit_images(const std::vector<std::string>& images, const std::string& field,
                                           Clock::time_point deadline);
  std::future<torch::Tensor> submit_texts(const std::vector<std::string>& texts, Clock::time_point deadline);
  // A zero-shot request's classifier: found in the cache (weights set), or validated and ready
  // for compute_classifier. Throws RequestError for anything the request got wrong.
  struct Classifier {
    std::string key;
    std::vector<std::string> classes, templates;
    torch::Tensor weights;  // [classes, embed_dim]; undefined until computed
  };
  Classifier find_classifier(const ZeroshotRequest& request);
  torch::Tensor compute_classifier(const Classifier& found, Clock::time_point deadline);

  const ServeOptions options_;
  Encoder encoder_;
  double logit_scale_ = 0;
  std::optional<VectorIndex> index_;
  TaskPool decoders_;
  // After the encoder it calls, so its thread finishes the queued jobs and stops before the
  // encoder goes.
  std::unique_ptr<Batcher> batcher_;

  struct CachedClassifier {
    std::string key;
    std::vector<std::string> classes;
    torch::Tensor weights;  // [classes, embed_dim]
  };
  std::mutex classifiers_mutex_;
  std::list<CachedClassifier> classifiers_;  // most recently used first
};

// Waits for a batcher result until `deadline`: 504 (RequestError) when it passes.
torch::Tensor await_rows(std::future<torch::Tensor>& rows, Clock::time_point deadline);

}  // namespace clipforge::serve

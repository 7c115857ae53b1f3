#include "eval/search.h"

#include <torch/torch.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/npy.h"
#include "eval/encoder.h"
#include "eval/image_inputs.h"
#include "index/vector_index.h"

namespace clipforge {

namespace {
struct Queries {
  std::vector<std::string> names;  // what each query was, for the output
  std::vector<float> values;       // names.size() x dim
  int64_t dim = 0;
};

Queries encode_queries(const SearchOptions& options, std::ostream& log) {
  Queries q;
  if (!options.queries.empty()) {
    npy::FloatMatrix m = npy::read_float_matrix(options.queries);
    for (int64_t r = 0; r < m.rows; ++r) q.names.push_back("row " + std::to_string(r));
    q.values = std::move(m.values);
    q.dim = m.cols;
    return q;
  }
  Encoder encoder(options.encoder);
  torch::Tensor features;
  if (!options.texts.empty()) {
    features = encoder.encode_texts(options.texts, log);
    q.names = options.texts;
  } else {
    EncodedImages encoded = encoder.encode_images(expand_image_inputs(options.images), log);
    if (encoded.paths.empty()) throw input_error("search: none of the --image files could be read");
    features = encoded.features;
    q.names = encoded.paths;
  }
  features = features.to(torch::kFloat).contiguous().cpu();
  q.dim = features.size(1);
  q.values.assign(features.data_ptr<float>(), features.data_ptr<float>() + features.numel());
  return q;
}
}  // namespace

nlohmann::json search_results(const Neighbours& hits, int64_t query, const VectorIndex& index) {
  nlohmann::json results = nlohmann::json::array();
  for (int64_t j = 0; j < hits.k; ++j) {
    const int64_t row = hits.rows[query * hits.k + j];
    if (row < 0) break;  // fewer than k rows in the index
    results.push_back({{"rank", j + 1}, {"id", index.ids()[row]}, {"row", row}, {"cosine", hits.scores[query * hits.k + j]}});
  }
  return results;
}

int64_t run_search(const SearchOptions& options, std::ostream& out, std::ostream& log) {
  const int sources = int(!options.texts.empty()) + int(!options.images.empty()) + int(!options.queries.empty());
  if (sources != 1) throw usage_error("search: give exactly one of --text, --image or --queries");
  if (options.k <= 0) throw usage_error("search: --k must be positive");
  if (options.queries.empty() && options.encoder.weights.empty())
    throw usage_error("search: --text and --image need --weights (the model that made the embeddings)");
  VectorIndex index = VectorIndex::load(options.index);
  index.set_search_parameters(options.ef_search, options.nprobe);
  const Queries q = encode_queries(options, log);
  if (q.dim != index.dim())
    throw mismatch_error(options.index + ": index holds " + std::to_string(index.dim()) + "-d embeddings but the queries are " +
                         std::to_string(q.dim) + "-d (another model?)");
  const int64_t n = int64_t(q.names.size());
  const Neighbours hits = index.search(q.values.data(), n, options.k);
  for (int64_t i = 0; i < n; ++i) {
    const nlohmann::json results = search_results(hits, i, index);
    if (options.json) {
      out << nlohmann::json{{"query", q.names[i]}, {"results", results}}.dump() << "\n";
      continue;
    }
    out << "query: " << q.names[i] << "\n";
    for (const auto& r : results) {
      char line[40];
      std::snprintf(line, sizeof line, "  %3d  %8.5f  ", r["rank"].get<int>(), r["cosine"].get<double>());
      out << line << r["id"].get<std::string>() << "\n";
    }
  }
  return n;
}

}  // namespace clipforge

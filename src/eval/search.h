// `clipforge search`: the nearest rows of an index folder (see index/vector_index.h) to texts,
// images, or precomputed query embeddings.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "eval/encoder_options.h"

namespace clipforge {

struct SearchOptions {
  EncoderOptions encoder;            // used for texts and images; not for `queries`
  std::string index;                 // folder from `clipforge index build`
  std::vector<std::string> texts;    // one query each; or
  std::vector<std::string> images;   // files and folders, one query per image; or
  std::string queries;               // [n, dim] .npy, one query per row
  int k = 10;
  int ef_search = 0;                 // override the index's stored parameters (0: keep)
  int nprobe = 0;
  bool json = false;                 // one JSON object per query instead of a table
};

class VectorIndex;
struct Neighbours;

// Query i's hits as [{"rank", "id", "row", "cosine"}, ...], best first.
nlohmann::json search_results(const Neighbours& hits, int64_t query, const VectorIndex& index);

// Writes one result per query on `out`, in query order; returns the number of queries.
int64_t run_search(const SearchOptions& options, std::ostream& out, std::ostream& log);

}  // namespace clipforge

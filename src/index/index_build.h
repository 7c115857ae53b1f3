// `clipforge index build`: an embeddings .npy (from `clipforge embed` or numpy) and its row
// names become an index folder (see vector_index.h).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "index/vector_index.h"

namespace clipforge {

struct IndexBuildOptions {
  std::string embeddings;  // [rows, dim] float32 or float16 .npy
  std::string ids;         // one name per row; empty: <embeddings>.ids.txt if present, else row numbers
  std::string out;         // folder
  IndexSpec spec;
};

// Returns the number of rows indexed; reports the plan and timing on `log`.
int64_t run_index_build(const IndexBuildOptions& options, std::ostream& log);

}  // namespace clipforge

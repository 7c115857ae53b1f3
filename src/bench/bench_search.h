// `clipforge bench search`: build time, query latency and recall@k of the exact, HNSW and IVF
// indexes on random unit vectors, swept over the search-time parameter. Uniform random vectors
// are the hardest case for approximate search (no structure to exploit); --clusters draws them
// around centres instead, closer to how real embeddings lie.
#pragma once

#include <vector>

namespace clipforge::bench {

struct SearchBenchOptions {
  int clusters = 0;  // 0: uniform on the sphere; N: around N random centres, like real embeddings
  int rows = 100000;
  int dim = 512;
  int queries = 1000;
  int k = 10;
  std::vector<int> ef_search = {16, 32, 64, 128, 256};
  std::vector<int> nprobe = {1, 4, 16, 64};
};

// Prints the report (JSON) on stdout.
void run_search_benchmark(const SearchBenchOptions& options);

}  // namespace clipforge::bench

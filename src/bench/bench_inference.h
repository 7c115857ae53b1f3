// `clipforge bench zeroshot` and `bench rerank`: end-to-end inference throughput on generated
// photos-sized JPEGs, split into decoding and model time, with the cached-classifier check.
#pragma once

#include <string>
#include <vector>

namespace clipforge::bench {

struct InferenceBenchOptions {
  std::string model = "ViT-B-32";
  std::string weights;  // empty: random initialisation (throughput does not depend on the values)
  std::string vocab;    // empty: $CLIPFORGE_VOCAB
  int images = 1000;    // generated 500x375 JPEGs
  int batch = 64;
  int classes = 10;
  std::string templates = "general";
  std::vector<int> rerank_sizes = {4, 16};
  int prompts = 16;
};

// Both print the report (JSON) on stdout.
void run_zeroshot_benchmark(const InferenceBenchOptions& options);
void run_rerank_benchmark(const InferenceBenchOptions& options);

}  // namespace clipforge::bench

// `clipforge bench model`: inference throughput of the two towers, fp32.
#pragma once

#include <string>

namespace clipforge::bench {

struct ModelBenchOptions {
  std::string model = "ViT-B-32";
  int batch = 64;
  int warmup = 1;
  int iterations = 3;
  int caption_tokens = 15;  // BPE tokens of a typical caption (plus start and end)
};

// Prints the report (JSON) on stdout.
void run_model_benchmark(const ModelBenchOptions& options);

}  // namespace clipforge::bench

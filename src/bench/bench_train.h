// `clipforge bench train`: training-step throughput (forward, symmetric InfoNCE, backward,
// AdamW) on synthetic data, with peak memory and model FLOPs utilisation against the matmul
// peak measured on the same machine in the same run.
#pragma once

#include <string>

namespace clipforge::bench {

struct TrainBenchOptions {
  std::string model = "ViT-B-32";
  int batch = 32;
  int warmup = 1;
  int iterations = 3;
  int caption_tokens = 15;
  std::string precision = "fp32";
};

void run_train_benchmark(const TrainBenchOptions& options);

}  // namespace clipforge::bench

// `clipforge bench data`: end-to-end loader throughput (read, decode, train transform, tokenise,
// batch) in samples/s per thread count, on given shards or on generated 640x480 and 1024x768
// JPEG shards (quality 90).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace clipforge::bench {

struct DataBenchConfig {
  std::string urls;            // empty: generate shards in a temporary folder
  int image_size = 224;
  std::vector<int> threads = {1, 2};
  std::string vocab_path;      // tokenise captions too when set
  int generated_images = 256;  // per generated size
  int epochs = 3;              // each figure is the median over this many epochs
};

nlohmann::json run_data_benchmark(const DataBenchConfig& config);

}  // namespace clipforge::bench

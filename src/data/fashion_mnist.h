// Fashion-MNIST (Debian's dataset-fashion-mnist: IDX files) as WebDataset shards, the data of
// the training demo: 28x28 grayscale PNGs with captions made from the class names.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace clipforge::data {

struct FashionMnistConfig {
  std::string source = "/usr/share/datasets/fashion-mnist";  // the four *-ubyte.gz files
  std::string out;                                           // writes out/train, out/test, out/classes.txt
  std::vector<std::string> train_templates;                  // one drawn per training image (seeded)
  int shard_size = 5000;  // the test split then has 2 shards, one per default loader worker
  std::uint64_t seed = 0;
};

// The ten class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

// Train shards carry a caption from a random template; test shards carry the class name as
// caption and {"label": index, "class": name} as json. Returns counts and paths.
nlohmann::json write_fashion_mnist_shards(const FashionMnistConfig& config);

}  // namespace clipforge::data

// Shards written by the data tests themselves: small JPEGs with known keys and captions.
#pragma once

#include <string>
#include <vector>

#include "data/loader.h"
#include "data/tar_writer.h"

namespace clipforge::testing {

// A w x h JPEG whose pixels depend on `seed` (so different samples decode differently).
std::string jpeg_bytes(int width, int height, int seed);

// Writes `shards` tar files DIR/NNNNN.tar (or .tar.gz / .tar.zst) with `per_shard` samples each,
// keyed "sSS_IIII" with caption "caption sSS_IIII"; returns the brace pattern naming them.
std::string write_dataset(const std::string& dir, int shards, int per_shard,
                          data::Compression compression = data::Compression::kNone);

// A fresh folder under the test temp dir.
std::string fresh_dir(const std::string& name);

// Keys of every batch of one epoch, in order.
std::vector<std::string> epoch_keys(data::Loader& loader, int epoch);

// A loader configuration for tiny test images: quiet, 8 px, small batches.
data::LoaderConfig test_config(const std::string& urls);

}  // namespace clipforge::testing

// Every sample of shard URLs (or a CSV source) once, in batches of normalised pixels, for the
// commands that evaluate or score a dataset rather than train on it.
#pragma once

#include <torch/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "data/loader.h"

namespace clipforge {

struct ShardBatchOptions {
  std::string urls;
  int image_size = 224;
  int batch_size = 64;
  int workers = 0;  // 0 = one per core
  std::uint64_t max_image_pixels = data::kDefaultMaxImagePixels;  // larger images are skipped (too_many_pixels)
  data::CsvOptions csv;  // separator and columns of a .csv source
};

// Runs `visit` on each batch (pixels [n, 3, size, size] with the eval transform, and the batch's
// keys, captions and json). Skipped samples are logged on stderr from the loader's threads; the
// return value is the loader's report: totals and per-shard counts of samples, ok and skipped by reason.
nlohmann::json for_each_shard_batch(const ShardBatchOptions& options,
                                    const std::function<void(const torch::Tensor&, const data::Batch&)>& visit);

}  // namespace clipforge

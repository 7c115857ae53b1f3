// `clipforge shards check`: reads a shard list through the real loader (single pass, eval
// transform at a small size, no shuffling) and reports what it found.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/csv_table.h"
#include "data/image_header.h"
#include "data/skip_stats.h"

namespace clipforge::data {

struct CheckConfig {
  std::string urls;
  int workers = 0;       // 0 = hardware cores
  int image_size = 32;   // every image is decoded and transformed; the size only sets the cost
  CsvOptions csv;        // separator and columns of a .csv source
  std::uint64_t max_image_pixels = kDefaultMaxImagePixels;  // larger images are counted as too_many_pixels; 0 = no limit
  WarningSink on_warning = warn_to_stderr;
};

// {"shards": N, "samples": N, "ok": N, "skipped": {reason: N}, "per_shard": {NAME: {...}}}
nlohmann::json check_shards(const CheckConfig& config);

}  // namespace clipforge::data

// `clipforge shards make`: image-text pairs -> img2dataset-style WebDataset shards.
// Output: DIR/00000.tar, 00001.tar, ... each holding KEY.jpg, KEY.txt and KEY.json per sample,
// DIR/NNNNN_stats.json per shard and DIR/sizes.json. Keys are the shard number (5 digits)
// followed by the index in the shard (zero-padded to the digits of shard_size - 1, at least 4),
// so they are stable for the same input and sort in writing order.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "data/csv_table.h"
#include "data/image_header.h"
#include "data/skip_stats.h"

namespace clipforge::data {

struct MakeShardsConfig {
  std::string csv;          // image-caption CSV (csv_table.h), or
  std::string imagefolder;  // images under DIR, recursively, in path order; caption from a sibling
                            // STEM.txt, else the parent folder's name with '_' as spaces
  std::string out;
  int shard_size = 10000;
  int max_side = 512;  // longer side shrunk to this (0 = keep); images are re-encoded as JPEG
  int jpeg_quality = 95;
  CsvOptions csv_format;    // separator and columns of `csv`
  std::uint64_t max_image_pixels = kDefaultMaxImagePixels;  // larger images are skipped undecoded; 0 = no limit
  WarningSink on_warning = warn_to_stderr;
};

// Returns {"shards": N, "samples": N, "skipped": N, "out": DIR}. Unreadable images are skipped
// with a warning; a bad configuration or unwritable output throws.
nlohmann::json make_shards(const MakeShardsConfig& config);

}  // namespace clipforge::data

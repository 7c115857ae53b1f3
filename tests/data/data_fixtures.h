// Shards written by the data tests themselves: small JPEGs with known keys and captions.
#pragma once

#include <string>
#include <vector>

#include "data/loader.h"
#include "data/tar_writer.h"

namespace clipforge::testing {

// A w x h JPEG whose pixels depend on `seed` (so different samples decode differently).
std::string jpeg_bytes(int width, int height, int seed);

// A small image encoded by OpenCV as `ext` (".jpg", ".png", ".bmp", ".webp" lossy, ".webpl"
// lossless) whose header is then rewritten to claim width x height: a decompression bomb of a
// few hundred bytes. WebP sizes are at most 16384 a side (14-bit fields).
std::string bomb_bytes(const std::string& ext, int width, int height);

// An extended WebP (VP8X chunk) whose canvas claims width x height, by hand: no encoder writes
// VP8X for a plain still image.
std::string webp_vp8x_bytes(int width, int height);

// Writes `shards` tar files DIR/NNNNN.tar (or .tar.gz / .tar.zst) with `per_shard` samples each,
// keyed "sSS_IIII" with caption "caption sSS_IIII"; returns the brace pattern naming them.
std::string write_dataset(const std::string& dir, int shards, int per_shard,
                          data::Compression compression = data::Compression::kNone);

// Writes the shard `path`: one sample whose image is not a JPEG, then 3 good ones (keys b0..b2).
void write_shard_with_undecodable_image(const std::string& path);

// A fresh folder under the test temp dir.
std::string fresh_dir(const std::string& name);

// Keys of every batch of one epoch, in order.
std::vector<std::string> epoch_keys(data::Loader& loader, int epoch);

// A loader configuration for tiny test images: quiet, 8 px, small batches.
data::LoaderConfig test_config(const std::string& urls);

}  // namespace clipforge::testing

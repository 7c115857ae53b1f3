// One shard as a stream of samples. For tar shards, consecutive members that share a key (the
// member path up to the first dot of its file name, WebDataset's rule) form one sample: the
// image from jpg/jpeg/png/webp/bmp, the caption from txt, the metadata from json; other members
// are ignored. For CSV rows, the image file is read from disk.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "data/image_header.h"
#include "data/shard_list.h"
#include "data/skip_stats.h"
#include "data/tar_reader.h"

namespace clipforge::data {

struct RawSample {
  std::string key;
  std::string image;        // encoded bytes
  bool has_image = false;
  std::string caption;
  bool has_caption = false;
  std::string json;         // the raw json member, "" if none
  bool unsafe_path = false; // a member path was absolute or contained ".."
  bool oversized = false;   // its image, caption or json was over the reader's bounds (not kept)
};

// Bounds on what one sample may hold (larger members are skipped without being buffered, larger
// images without being decoded) and on how long a `pipe:` command may go silent.
struct ReadLimits {
  std::uint64_t max_member_bytes = kDefaultMaxMemberBytes;  // image or json member, CSV image file
  std::uint64_t max_caption_bytes = 64ull << 10;            // txt member or json "caption"
  std::uint64_t max_image_pixels = kDefaultMaxImagePixels;  // width x height from the image header; 0 = no limit
  int pipe_timeout_s = kDefaultPipeTimeoutSeconds;
};

// "dir/abc.def.jpg" -> key "dir/abc", extension "def.jpg".
void split_member_name(const std::string& name, std::string& key, std::string& extension);

// Why a sample cannot be used, judged without decoding its image; nullopt when it looks usable.
// Fills the caption from the json member's "caption" string when there is no txt member.
std::optional<SkipReason> check_sample(RawSample& sample, const ReadLimits& limits = {});

class SampleReader {
 public:
  // Opens the shard; throws ShardError when it cannot be read at all.
  explicit SampleReader(const ShardSpec& shard, ReadLimits limits = {});
  // The next sample; false at the end. Throws ShardError when the rest of the shard is unreadable
  // (the samples already returned stay valid).
  bool next(RawSample& sample);

 private:
  bool next_tar(RawSample& sample);
  bool next_csv(RawSample& sample);

  const ShardSpec& shard_;
  ReadLimits limits_;
  std::unique_ptr<TarReader> tar_;
  TarMember member_;
  bool have_member_ = false;  // member_ holds the first member of the next sample
  std::optional<ShardError> deferred_error_;  // the shard failed after the sample last returned
  std::size_t row_ = 0;
};

}  // namespace clipforge::data

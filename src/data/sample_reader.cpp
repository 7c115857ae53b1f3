#include "data/sample_reader.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::data {
namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_unsafe(const std::string& name) {
  if (name.empty() || name[0] == '/') return true;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    if (name.compare(start, end - start, "..") == 0) return true;
    start = end + 1;
  }
  return false;
}

bool is_image_extension(const std::string& ext) {
  return ext == "jpg" || ext == "jpeg" || ext == "png" || ext == "webp" || ext == "bmp";
}

// Adds one member to the sample it belongs to. An oversized member the sample would use makes
// the sample oversized; one of an ignored extension does not matter.
void absorb(RawSample& sample, TarMember& member, const std::string& extension) {
  if (is_unsafe(member.name)) sample.unsafe_path = true;
  const std::string ext = lowercase(extension);
  const bool used = (is_image_extension(ext) && !sample.has_image) || ext == "txt" || ext == "json";
  if (used && member.oversized) {
    sample.oversized = true;
    return;
  }
  if (is_image_extension(ext) && !sample.has_image) {
    sample.image = std::move(member.data);
    sample.has_image = true;
  } else if (ext == "txt") {
    sample.caption = std::move(member.data);
    sample.has_caption = true;
  } else if (ext == "json") {
    sample.json = std::move(member.data);
  }
}

}  // namespace

void split_member_name(const std::string& name, std::string& key, std::string& extension) {
  const std::size_t slash = name.rfind('/');
  const std::size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  key = name.substr(0, dot);
  extension = dot == std::string::npos ? "" : name.substr(dot + 1);
}

std::optional<SkipReason> check_sample(RawSample& sample, const ReadLimits& limits) {
  if (sample.unsafe_path) return SkipReason::kUnsafePath;
  if (sample.oversized) return SkipReason::kOversizedMember;
  if (!sample.has_image) return SkipReason::kMissingImage;
  if (sample.image.empty()) return SkipReason::kEmptyImage;
  if (!sample.has_caption && !sample.json.empty()) {
    const auto meta = nlohmann::json::parse(sample.json, nullptr, false);
    if (meta.is_object() && meta.contains("caption") && meta["caption"].is_string()) {
      sample.caption = meta["caption"].get<std::string>();
      sample.has_caption = true;
      if (sample.caption.size() > limits.max_caption_bytes) return SkipReason::kOversizedMember;
    }
  }
  if (!sample.has_caption) return SkipReason::kMissingCaption;
  return std::nullopt;
}

SampleReader::SampleReader(const ShardSpec& shard, ReadLimits limits) : shard_(shard), limits_(limits) {
  if (shard.kind != ShardSpec::Kind::kCsvRows) {
    // Captions are bounded by their own, smaller limit before they are read.
    const ReadLimits limits = limits_;
    tar_ = std::make_unique<TarReader>(shard.location, shard.kind == ShardSpec::Kind::kPipe, [limits](const std::string& name) {
      std::string key, extension;
      split_member_name(name, key, extension);
      return lowercase(extension) == "txt" ? limits.max_caption_bytes : limits.max_member_bytes;
    }, limits_.pipe_timeout_s);
  }
  row_ = shard.first_row;
}

bool SampleReader::next(RawSample& sample) {
  sample = RawSample();
  return tar_ ? next_tar(sample) : next_csv(sample);
}

bool SampleReader::next_tar(RawSample& sample) {
  if (deferred_error_) throw *deferred_error_;
  if (!have_member_ && !tar_->next(member_)) return false;
  have_member_ = false;
  std::string extension;
  split_member_name(member_.name, sample.key, extension);
  absorb(sample, member_, extension);
  std::string key;
  for (;;) {
    // The sample is complete when the next key starts or the shard ends; when the shard fails
    // instead (truncated, a command that fails after its last byte), what was read of this
    // sample is still judged on its own, and the failure is reported on the next call.
    try {
      if (!tar_->next(member_)) break;
    } catch (const ShardError& error) {
      deferred_error_ = error;
      break;
    }
    split_member_name(member_.name, key, extension);
    if (key != sample.key) {
      have_member_ = true;
      return true;
    }
    absorb(sample, member_, extension);
  }
  return true;
}

bool SampleReader::next_csv(RawSample& sample) {
  if (row_ >= shard_.end_row) return false;
  const CsvRow& row = shard_.csv->rows[row_++];
  sample.key = std::to_string(row.line);
  sample.caption = row.caption;
  sample.has_caption = true;
  if (sample.caption.size() > limits_.max_caption_bytes) sample.oversized = true;
  // A missing or unreadable image file is a bad sample, not a bad dataset.
  if (!sample.oversized && file_exists(row.image_path)) {
    try {
      if (file_size(row.image_path) > limits_.max_member_bytes) {
        sample.oversized = true;
      } else {
        sample.image = read_file(row.image_path);
        sample.has_image = true;
      }
    } catch (const Error&) {
    }
  }
  return true;
}

}  // namespace clipforge::data

// Bad data is skipped, never fatal: this counts what was skipped, by reason and by shard, and
// logs each bad (shard, member) once, with a per-reason cap so a rotten dataset cannot flood
// the log. Shared by all loader workers (thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace clipforge::data {

enum class SkipReason {
  kUndecodableImage,
  kEmptyImage,
  kMissingImage,
  kMissingCaption,
  kUnsafePath,
  kTruncatedTar,
  kCorruptTar,
  kMissingShard,
  kPipeFailed,
  kOversizedMember,
  kTooManyPixels,  // the image header states more pixels than the decode limit
};
inline constexpr int kSkipReasonCount = 11;

const char* reason_name(SkipReason reason);  // "undecodable_image", ...

using WarningSink = std::function<void(const std::string&)>;
// Writes "clipforge: warning: MESSAGE" to stderr.
void warn_to_stderr(const std::string& message);

class SkipStats {
 public:
  explicit SkipStats(WarningSink sink = warn_to_stderr, int log_limit_per_reason = 20);

  // One sample read from `shard` (before any check).
  void sample_read(const std::string& shard);
  // One sample delivered in a batch.
  void sample_ok(const std::string& shard);
  // `member` is the sample key or tar member; empty for failures of the whole shard.
  void skipped(SkipReason reason, const std::string& shard, const std::string& member, const std::string& detail);

  // {"undecodable_image": 2, ...}: only reasons that occurred.
  nlohmann::json counts() const;
  // {"samples": N, "ok": N, "skipped": {...}, "shards": {NAME: {"samples", "ok", "skipped"}}}
  nlohmann::json report() const;

 private:
  struct Counts {
    std::int64_t samples = 0, ok = 0;
    std::map<SkipReason, std::int64_t> skipped;
  };
  static nlohmann::json to_json(const Counts& counts);

  WarningSink sink_;
  int log_limit_;
  mutable std::mutex mutex_;
  Counts total_;
  std::map<std::string, Counts> per_shard_;
  std::set<std::pair<std::string, std::string>> logged_;
  std::map<SkipReason, int> logged_per_reason_;
};

}  // namespace clipforge::data

#include "data/skip_stats.h"

#include <iostream>

namespace clipforge::data {

const char* reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kUndecodableImage: return "undecodable_image";
    case SkipReason::kEmptyImage: return "empty_image";
    case SkipReason::kMissingImage: return "missing_image";
    case SkipReason::kMissingCaption: return "missing_caption";
    case SkipReason::kUnsafePath: return "unsafe_path";
    case SkipReason::kTruncatedTar: return "truncated_tar";
    case SkipReason::kCorruptTar: return "corrupt_tar";
    case SkipReason::kMissingShard: return "missing_shard";
    case SkipReason::kPipeFailed: return "pipe_failed";
    case SkipReason::kOversizedMember: return "oversized_member";
    case SkipReason::kTooManyPixels: return "too_many_pixels";
  }
  return "unknown";
}

void warn_to_stderr(const std::string& message) {
  std::cerr << "clipforge: warning: " + message + "\n" << std::flush;
}

SkipStats::SkipStats(WarningSink sink, int log_limit_per_reason)
    : sink_(std::move(sink)), log_limit_(log_limit_per_reason) {}

void SkipStats::sample_read(const std::string& shard) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++total_.samples;
  ++per_shard_[shard].samples;
}

void SkipStats::sample_ok(const std::string& shard) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++total_.ok;
  ++per_shard_[shard].ok;
}

void SkipStats::skipped(SkipReason reason, const std::string& shard, const std::string& member,
                        const std::string& detail) {
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++total_.skipped[reason];
    ++per_shard_[shard].skipped[reason];
    // Cycling epochs meet the same bad member again: say so once.
    if (!logged_.insert({shard, member}).second) return;
    const int logged = ++logged_per_reason_[reason];
    if (logged > log_limit_ || !sink_) return;
    message = "skipped " + std::string(reason_name(reason)) + ": " + shard + (member.empty() ? "" : ": " + member) +
              (detail.empty() ? "" : " (" + detail + ")");
    if (logged == log_limit_) message += "; further '" + std::string(reason_name(reason)) + "' skips are counted, not logged";
  }
  sink_(message);
}

nlohmann::json SkipStats::to_json(const Counts& counts) {
  nlohmann::json skipped = nlohmann::json::object();
  for (const auto& [reason, n] : counts.skipped) skipped[reason_name(reason)] = n;
  return {{"samples", counts.samples}, {"ok", counts.ok}, {"skipped", skipped}};
}

nlohmann::json SkipStats::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return to_json(total_)["skipped"];
}

nlohmann::json SkipStats::report() const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json report = to_json(total_);
  nlohmann::json shards = nlohmann::json::object();
  for (const auto& [name, counts] : per_shard_) shards[name] = to_json(counts);
  report["shards"] = shards;
  return report;
}

}  // namespace clipforge::data

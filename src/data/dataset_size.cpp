#include "data/dataset_size.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "core/files.h"
#include "data/sample_reader.h"

namespace clipforge::data {
namespace {

std::optional<nlohmann::json> read_json_file(const std::string& path) {
  if (!file_exists(path)) return std::nullopt;
  auto json = nlohmann::json::parse(read_file(path), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

// sizes.json of a folder, read once per process.
std::optional<nlohmann::json> sizes_json(const std::string& folder) {
  static std::mutex mutex;
  static std::map<std::string, std::optional<nlohmann::json>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(folder);
  if (it == cache.end()) it = cache.emplace(folder, read_json_file(folder + "/sizes.json")).first;
  return it->second;
}

// The recorded size of a shard and where it was recorded.
std::optional<DatasetSize> recorded(const ShardSpec& shard) {
  if (shard.kind == ShardSpec::Kind::kCsvRows) {
    return DatasetSize{static_cast<std::int64_t>(shard.end_row - shard.first_row), "csv"};
  }
  if (shard.kind == ShardSpec::Kind::kPipe) return std::nullopt;
  const std::filesystem::path path(shard.location);
  const std::string folder = path.parent_path().empty() ? "." : path.parent_path().string();
  if (const auto sizes = sizes_json(folder)) {
    const auto it = sizes->find(path.filename().string());
    if (it != sizes->end() && it->is_number_integer()) return DatasetSize{it->get<std::int64_t>(), "sizes.json"};
  }
  // img2dataset names the record after the shard's stem: 00000.tar -> 00000_stats.json.
  std::string stem = path.filename().string();
  stem = stem.substr(0, stem.find('.'));
  if (const auto stats = read_json_file(folder + "/" + stem + "_stats.json")) {
    const auto it = stats->find("successes");
    if (it != stats->end() && it->is_number_integer()) return DatasetSize{it->get<std::int64_t>(), "_stats.json"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> recorded_shard_size(const ShardSpec& shard) {
  const auto size = recorded(shard);
  return size ? std::optional<std::int64_t>(size->samples) : std::nullopt;
}

std::int64_t count_shard_samples(const ShardSpec& shard) {
  std::int64_t count = 0;
  try {
    SampleReader reader(shard);
    RawSample sample;
    while (reader.next(sample)) ++count;
  } catch (const ShardError&) {
    // the loader reports it when it reads the shard
  }
  return count;
}

DatasetSize dataset_size(const std::vector<ShardSpec>& shards) {
  DatasetSize size;
  std::set<std::string> sources;
  for (const ShardSpec& shard : shards) {
    const auto known = recorded(shard);
    size.samples += known ? known->samples : count_shard_samples(shard);
    sources.insert(known ? known->source : "counted");
  }
  for (const std::string& source : sources) size.source += (size.source.empty() ? "" : "+") + source;
  return size;
}

}  // namespace clipforge::data

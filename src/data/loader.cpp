#include "data/loader.h"

#include <algorithm>

#include "core/error.h"
#include "core/machine_info.h"
#include "data/dataset_size.h"
#include "data/reshard.h"
#include "data/shard_list.h"
#include "data/worker.h"

namespace clipforge::data {
namespace {

void check_config(const LoaderConfig& c) {
  if (c.image_size <= 0) throw usage_error("data loader: image_size must be positive");
  if (c.batch_size <= 0) throw usage_error("data loader: batch_size must be positive");
  if (c.workers < 0) throw usage_error("data loader: workers must be >= 0");
  if (c.world_size <= 0 || c.rank < 0 || c.rank >= c.world_size) {
    throw usage_error("data loader: rank " + std::to_string(c.rank) + " is outside world size " + std::to_string(c.world_size));
  }
  if (!(c.scale_min > 0 && c.scale_min <= c.scale_max && c.scale_max <= 1)) {
    throw usage_error("data loader: crop scale range must satisfy 0 < min <= max <= 1");
  }
  if (c.num_samples < 0 || c.shuffle_buffer < 0 || c.context_length <= 0) {
    throw usage_error("data loader: num_samples, shuffle_buffer must be >= 0 and context_length > 0");
  }
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

nlohmann::json LoaderState::to_json() const {
  nlohmann::json positions = nlohmann::json::array();
  for (const ReaderPosition& p : workers) {
    nlohmann::json remaining = nlohmann::json::array();
    for (const StreamSegment& s : p.remaining) remaining.push_back({s.reader, s.readers, s.start, s.skip, s.take});
    positions.push_back({{"remaining", remaining}, {"finished", p.finished}});
  }
  return {{"epoch", epoch}, {"next_worker", next_worker}, {"workers", positions}, {"seed", seed},
          {"rank", rank}, {"world_size", world_size}, {"batch_size", batch_size}};
}

LoaderState LoaderState::from_json(const nlohmann::json& json) {
  const auto field = [](const nlohmann::json& object, const char* key) -> const nlohmann::json& {
    if (!object.is_object() || !object.contains(key)) throw input_error(std::string("loader state: missing key '") + key + "'");
    return object.at(key);
  };
  LoaderState state;
  try {
    state.epoch = field(json, "epoch").get<int>();
    state.next_worker = field(json, "next_worker").get<int>();
    state.seed = field(json, "seed").get<std::uint64_t>();
    state.rank = field(json, "rank").get<int>();
    state.world_size = field(json, "world_size").get<int>();
    state.batch_size = field(json, "batch_size").get<int>();
    for (const auto& p : field(json, "workers")) {
      ReaderPosition position;
      position.finished = field(p, "finished").get<bool>();
      for (const auto& s : field(p, "remaining")) {
        position.remaining.push_back({s.at(0).get<int>(), s.at(1).get<int>(), s.at(2).get<std::int64_t>(),
                                      s.at(3).get<std::int64_t>(), s.at(4).get<std::int64_t>()});
      }
      state.workers.push_back(std::move(position));
    }
  } catch (const nlohmann::json::exception& e) {
    throw input_error(std::string("loader state: ") + e.what());
  }
  return state;
}

Loader::Loader(LoaderConfig config) : config_(std::move(config)) {
  check_config(config_);
  if (config_.workers == 0) config_.workers = rank_cpu_share();
  workers_ = config_.workers;
  shards_ = expand_shard_list(config_.urls, config_.csv);
  stats_ = std::make_unique<SkipStats>(config_.on_warning);
  if (config_.num_samples > 0) {
    num_samples_ = config_.num_samples;
    size_source_ = "num_samples";
  } else {
    const DatasetSize size = dataset_size(shards_);
    num_samples_ = size.samples;
    size_source_ = size.source;
  }
  const std::size_t readers = static_cast<std::size_t>(workers_) * config_.world_size;
  if (!config_.resampled && shards_.size() < readers) {
    warnings_.push_back(std::to_string(shards_.size()) + " shards for " + std::to_string(readers) +
                        " readers: readers share shards, so samples repeat within an epoch");
  }
  if (num_samples_ == 0) warnings_.push_back("the shard list holds no samples");
  if (config_.on_warning) {
    for (const std::string& warning : warnings_) config_.on_warning(warning);
  }
  state_.epoch = -1;
}

Loader::~Loader() { stop_workers(); }

std::int64_t Loader::batches_per_epoch() const {
  if (num_samples_ == 0) return 0;
  const std::int64_t global_batch = static_cast<std::int64_t>(config_.batch_size) * config_.world_size;
  if (!config_.drop_last && !config_.resampled) return ceil_div(num_samples_, global_batch);
  return ceil_div(num_samples_, global_batch * workers_) * workers_;
}

nlohmann::json Loader::plan() const {
  const std::int64_t readers = static_cast<std::int64_t>(workers_) * config_.world_size;
  return {{"shards", shards_.size()},
          {"samples", num_samples_},
          {"samples_from", size_source_},
          {"readers", readers},
          {"workers", workers_},
          {"world_size", config_.world_size},
          {"batch_size", config_.batch_size},
          {"batches_per_epoch", batches_per_epoch()},
          {"samples_per_reader", ceil_div(num_samples_, readers)},
          {"resampled", config_.resampled},
          {"warnings", warnings_}};
}

nlohmann::json Loader::skipped() const { return stats_->counts(); }
nlohmann::json Loader::report() const { return stats_->report(); }

void Loader::stop_workers() { running_.clear(); }

void Loader::launch_workers() {
  stop_workers();
  const std::size_t capacity = static_cast<std::size_t>(std::max<std::int64_t>(1, ceil_div(config_.prefetch_batches, workers_)));
  for (int w = 0; w < workers_; ++w) {
    if (state_.workers[w].finished) {
      running_.push_back(nullptr);
      continue;
    }
    WorkerJob job{state_.epoch, state_.workers[w], capacity};
    running_.push_back(std::make_unique<Worker>(config_, shards_, *stats_, job));
  }
}

LoaderState Loader::fresh_state(int epoch) const {
  LoaderState state;
  state.epoch = epoch;
  state.seed = config_.seed;
  state.rank = config_.rank;
  state.world_size = config_.world_size;
  state.batch_size = config_.batch_size;
  const std::int64_t take = config_.drop_last || config_.resampled ? batches_per_epoch() / workers_ * config_.batch_size : -1;
  for (int w = 0; w < workers_; ++w) {
    StreamSegment own{config_.rank * workers_ + w, config_.world_size * workers_, 0, 0, take};
    state.workers.push_back({{own}, false});
  }
  return state;
}

void Loader::start_epoch(int epoch) {
  state_ = fresh_state(epoch);
  launch_workers();
}

std::optional<Batch> Loader::next() {
  if (state_.epoch < 0) start_epoch(0);
  for (int tried = 0; tried < workers_; ++tried) {
    const int w = (state_.next_worker + tried) % workers_;
    if (state_.workers[w].finished) continue;
    std::optional<WorkerBatch> item = running_[w]->pop();
    if (!item) {
      state_.workers[w].finished = true;
      continue;
    }
    state_.workers[w] = item->after;
    state_.next_worker = (w + 1) % workers_;
    return std::move(item->batch);
  }
  return std::nullopt;
}

LoaderState Loader::state() const { return state_; }

void Loader::restore(const LoaderState& state) {
  if (state.seed != config_.seed || state.rank != config_.rank || state.world_size != config_.world_size ||
      state.batch_size != config_.batch_size || static_cast<int>(state.workers.size()) != workers_) {
    throw mismatch_error("loader state was saved with seed " + std::to_string(state.seed) + ", rank " +
                         std::to_string(state.rank) + "/" + std::to_string(state.world_size) + ", batch " +
                         std::to_string(state.batch_size) + ", " + std::to_string(state.workers.size()) +
                         " workers; this loader has seed " + std::to_string(config_.seed) + ", rank " +
                         std::to_string(config_.rank) + "/" + std::to_string(config_.world_size) + ", batch " +
                         std::to_string(config_.batch_size) + ", " + std::to_string(workers_) + " workers");
  }
  state_ = state;
  if (state_.next_worker < 0 || state_.next_worker >= workers_) state_.next_worker = 0;
  launch_workers();
}

bool Loader::restore(const std::vector<LoaderState>& states) {
  const bool same_layout =
      static_cast<int>(states.size()) == config_.world_size &&
      std::all_of(states.begin(), states.end(), [&](const LoaderState& s) {
        return static_cast<int>(s.workers.size()) == workers_ && s.batch_size == config_.batch_size;
      });
  if (same_layout) {
    restore(states.at(config_.rank));
    return false;
  }
  if (states.front().seed != config_.seed) {
    throw mismatch_error("loader state was saved with seed " + std::to_string(states.front().seed) +
                         "; this loader has seed " + std::to_string(config_.seed));
  }
  const Reshard plan = reshard(states, config_.world_size * workers_, config_.batch_size);
  state_ = fresh_state(states.front().epoch);
  for (int w = 0; w < workers_; ++w) state_.workers[w].remaining = plan.readers[config_.rank * workers_ + w];
  if (config_.on_warning) {
    config_.on_warning("resuming epoch " + std::to_string(state_.epoch) + " of " + std::to_string(states.size()) +
                       " ranks on " + std::to_string(config_.world_size) + " (" + std::to_string(workers_) +
                       " workers, batch " + std::to_string(config_.batch_size) + "): " +
                       std::to_string(plan.samples_left) + " samples left, " + std::to_string(plan.samples_dropped) +
                       " dropped that fill no batch on every reader");
  }
  launch_workers();
  return true;
}

std::int64_t Loader::batches_left() const {
  std::int64_t batches = 0;
  for (const ReaderPosition& position : state_.workers) {
    if (position.finished) continue;
    std::int64_t samples = 0;
    for (const StreamSegment& segment : position.remaining) samples += std::max<std::int64_t>(segment.take, 0);
    batches += samples / config_.batch_size;
  }
  return batches;
}

}  // namespace clipforge::data

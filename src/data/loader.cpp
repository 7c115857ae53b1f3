#include "data/loader.h"

#include "core/error.h"
#include "core/machine_info.h"
#include "data/dataset_size.h"
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
  for (const ReaderPosition& p : workers) positions.push_back({p.batches, p.samples, p.finished});
  return {{"epoch", epoch}, {"batches", batches}, {"next_worker", next_worker}, {"workers", positions},
          {"seed", seed}, {"rank", rank}, {"world_size", world_size}, {"batch_size", batch_size}};
}

LoaderState LoaderState::from_json(const nlohmann::json& json) {
  LoaderState state;
  const auto field = [&](const char* key) -> const nlohmann::json& {
    if (!json.is_object() || !json.contains(key)) throw input_error(std::string("loader state: missing key '") + key + "'");
    return json.at(key);
  };
  try {
    state.epoch = field("epoch").get<int>();
    state.batches = field("batches").get<std::int64_t>();
    state.next_worker = field("next_worker").get<int>();
    state.seed = field("seed").get<std::uint64_t>();
    state.rank = field("rank").get<int>();
    state.world_size = field("world_size").get<int>();
    state.batch_size = field("batch_size").get<int>();
    for (const auto& p : field("workers")) {
      state.workers.push_back({p.at(0).get<std::int64_t>(), p.at(1).get<std::int64_t>(), p.at(2).get<bool>()});
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
  const std::int64_t limit = config_.drop_last || config_.resampled ? batches_per_epoch() / workers_ : -1;
  const std::size_t capacity = static_cast<std::size_t>(std::max<std::int64_t>(1, ceil_div(config_.prefetch_batches, workers_)));
  for (int w = 0; w < workers_; ++w) {
    if (state_.workers[w].finished) {
      running_.push_back(nullptr);
      continue;
    }
    WorkerJob job{w, state_.epoch, limit, state_.workers[w], capacity};
    running_.push_back(std::make_unique<Worker>(config_, shards_, *stats_, job));
  }
}

void Loader::start_epoch(int epoch) {
  state_ = LoaderState();
  state_.epoch = epoch;
  state_.workers.assign(workers_, ReaderPosition());
  state_.seed = config_.seed;
  state_.rank = config_.rank;
  state_.world_size = config_.world_size;
  state_.batch_size = config_.batch_size;
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
    ++state_.batches;
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

}  // namespace clipforge::data

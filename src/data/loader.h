// The streaming loader: WebDataset shards (or a CSV) -> batches of uint8 CHW images, token rows
// and captions, built by worker threads, reproducible from (seed, epoch, rank, world_size,
// workers) alone and resumable at any batch. Torch-free: the training code wraps the buffers.
//
//   clipforge::data::LoaderConfig config;
//   config.urls = "shards/{00000..00099}.tar";
//   config.tokenizer = &tokenizer;
//   clipforge::data::Loader loader(config);
//   std::cerr << loader.plan().dump() << "\n";
//   loader.start_epoch(0);
//   while (auto batch = loader.next()) train_step(*batch);
//
// Rules (docs/data.md has the long form):
// - readers = world_size * workers; reader rank * workers + w reads a disjoint share of the
//   shards (shard_order.h), builds whole batches from them, and next() takes one batch from each
//   worker in turn (worker 0, 1, ..., 0, ...). A worker that has ended is passed over.
// - drop_last (training): every worker yields exactly ceil(num_samples / (batch_size *
//   world_size * workers)) full batches per epoch, cycling over its shards when they hold fewer
//   samples and leaving the rest unread when they hold more, so every rank runs
//   batches_per_epoch() steps. Without drop_last (evaluation), each worker reads its shards once
//   and its last batch may be short.
// - Bad samples and unreadable shards are skipped and counted (skipped()); only bad
//   configuration and errors of the program itself throw.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/pixel_normalize.h"
#include "data/sample_reader.h"
#include "data/skip_stats.h"
#include "text/tokenizer.h"

namespace clipforge::data {

struct LoaderConfig {
  std::string urls;  // brace ranges/lists, "::"-joined sources, pipe:CMD, or a .csv file
  int image_size = 224;
  bool train = true;  // random resized crop with reduced JPEG decode; false: the bit-exact eval transform
  double scale_min = 0.9, scale_max = 1.0;
  int batch_size = 64;
  int workers = 0;  // 0 = hardware cores
  std::uint64_t seed = 0;
  int rank = 0, world_size = 1;
  bool resampled = false;        // shards drawn with replacement (OpenCLIP --dataset-resampled)
  std::int64_t num_samples = 0;  // epoch length; 0 = from sizes.json / *_stats.json, else counted
  int shuffle_buffer = 1000;     // 0 = no shuffling at all: shards in list order, samples in tar order
  const text::Tokenizer* tokenizer = nullptr;  // null: Batch::tokens stays empty
  int context_length = 77;
  int prefetch_batches = 4;  // ready batches held, over all workers
  bool drop_last = true;
  CsvOptions csv;     // separator and columns of a .csv source
  ReadLimits limits;  // members over these bounds are skipped unread (counted as oversized_member),
                      // images over max_image_pixels undecoded (too_many_pixels)
  WarningSink on_warning = warn_to_stderr;  // skipped data and plan warnings
};

struct Batch {
  int size = 0;
  std::vector<std::uint8_t> images;  // [size, 3, image_size, image_size] RGB, CHW
  std::vector<std::int32_t> tokens;  // [size, context_length]; empty without a tokenizer
  std::vector<std::string> keys, captions, json;  // per sample; json = raw .json member ("" if none)
};

// A stretch of one reader's sample stream: the stream that reader `reader` of `readers` reads in
// the epoch (shard_order.h), from stream index `start` on, passing over its first `skip` usable
// samples (decoded, not delivered) and delivering the next `take` usable ones (-1: to the
// stream's end). Transform seeds follow the stream, so a sample is augmented alike whichever
// reader delivers it.
struct StreamSegment {
  int reader = 0, readers = 1;
  std::int64_t start = 0, skip = 0, take = -1;
};

// Where one worker stands: what it still has to read after the batches it has delivered. A fresh
// epoch gives it one segment, its own stream; a resume on another layout (reshard.h) gives it
// parts of the saved readers' streams.
struct ReaderPosition {
  std::vector<StreamSegment> remaining;
  bool finished = false;  // it has ended this epoch
};

struct LoaderState {
  int epoch = 0;
  int next_worker = 0;
  std::vector<ReaderPosition> workers;
  // The layout the positions were written by; restore() checks it.
  std::uint64_t seed = 0;
  int rank = 0, world_size = 1, batch_size = 0;

  nlohmann::json to_json() const;
  static LoaderState from_json(const nlohmann::json& json);  // throws input_error naming the key
};

class Worker;
struct ShardSpec;

class Loader {
 public:
  explicit Loader(LoaderConfig config);  // expands the shard list and sizes the epoch; throws on bad config
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void start_epoch(int epoch);
  // The next batch of the epoch (starting epoch 0 if none was started); nullopt at its end.
  // An exception thrown in a worker is rethrown here.
  std::optional<Batch> next();
  LoaderState state() const;  // position after the last batch returned by next()
  // Positions the loader so that next() yields exactly the batches an uninterrupted run would
  // have yielded after `state`. Consumed samples are read but not decoded.
  void restore(const LoaderState& state);
  // Resumes the epoch from every rank's saved state (in rank order). On the layout that wrote
  // them (world size, workers, batch size) this is restore(states[rank]); on another, the
  // samples the saved readers had left are dealt to this layout's readers (reshard.h). True
  // when it resharded.
  bool restore(const std::vector<LoaderState>& states);
  // Full batches this rank's workers have left in the epoch (fixed-length epochs).
  std::int64_t batches_left() const;

  std::int64_t batches_per_epoch() const;
  std::int64_t num_samples() const { return num_samples_; }
  int workers() const { return workers_; }
  nlohmann::json plan() const;     // shards, samples, readers, batches per epoch, samples per reader, warnings
  nlohmann::json skipped() const;  // {"reason": count, ...}
  nlohmann::json report() const;   // SkipStats::report(): totals and per shard

 private:
  void stop_workers();
  void launch_workers();
  LoaderState fresh_state(int epoch) const;  // every worker at the start of its own stream

  LoaderConfig config_;
  std::vector<ShardSpec> shards_;
  std::unique_ptr<SkipStats> stats_;
  int workers_ = 1;
  std::int64_t num_samples_ = 0;
  std::string size_source_;
  std::vector<std::string> warnings_;
  std::vector<std::unique_ptr<Worker>> running_;
  LoaderState state_;
};

}  // namespace clipforge::data

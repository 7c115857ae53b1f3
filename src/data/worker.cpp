#include "data/worker.h"

#include <opencv2/core.hpp>

#include "data/decode.h"
#include "data/sample_stream.h"
#include "data/transforms.h"

namespace clipforge::data {

Worker::Worker(const LoaderConfig& config, const std::vector<ShardSpec>& shards, SkipStats& stats, WorkerJob job)
    : config_(config), shards_(shards), stats_(stats), job_(job),
      reader_(config.rank * config.workers + job.worker), thread_([this] { run(); }) {}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

std::optional<WorkerBatch> Worker::pop() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !queue_.empty() || done_; });
  if (queue_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  WorkerBatch item = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return item;
}

bool Worker::push(WorkerBatch item) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return queue_.size() < job_.queue_capacity || stopping_; });
  if (stopping_) return false;
  queue_.push_back(std::move(item));
  changed_.notify_all();
  return true;
}

void Worker::run() {
  // Workers are the parallelism; OpenCV's own pool on top would oversubscribe the cores.
  cv::setNumThreads(0);
  try {
    produce();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

Batch Worker::empty_batch() const {
  Batch batch;
  const std::size_t image_bytes = 3 * static_cast<std::size_t>(config_.image_size) * config_.image_size;
  batch.images.resize(image_bytes * config_.batch_size);
  if (config_.tokenizer != nullptr) batch.tokens.reserve(static_cast<std::size_t>(config_.context_length) * config_.batch_size);
  return batch;
}

std::optional<Worker::Skip> Worker::add_sample(Batch& batch, RawSample& sample, std::uint64_t stream_index) {
  const int size = config_.image_size;
  DecodeOptions decode;
  decode.reduction = config_.train ? jpeg_reduction_for(sample.image, size) : 1;
  decode.fast = config_.train;
  decode.max_pixels = config_.limits.max_image_pixels;
  const DecodedImage image = decode_rgb(sample.image, decode);
  if (image.status != DecodeStatus::kOk) {
    const SkipReason reason = image.status == DecodeStatus::kTooManyPixels ? SkipReason::kTooManyPixels : SkipReason::kUndecodableImage;
    // A plain undecodable image needs no detail; the other failures say which limit or format.
    return Skip{reason, image.status == DecodeStatus::kUndecodable ? "" : decode_failure(image, decode)};
  }
  const cv::Mat& rgb = image.rgb;
  std::uint8_t* out = batch.images.data() + static_cast<std::size_t>(batch.size) * 3 * size * size;
  if (config_.train) {
    std::mt19937_64 rng(derive_seed({config_.seed, static_cast<std::uint64_t>(job_.epoch), static_cast<std::uint64_t>(reader_),
                                     stream_index, static_cast<std::uint64_t>(Stream::kTransform)}));
    train_transform(rgb, size, config_.scale_min, config_.scale_max, rng, out);
  } else {
    eval_transform(rgb, size, out);
  }
  if (config_.tokenizer != nullptr) {
    const auto row = config_.tokenizer->encode(sample.caption, config_.context_length);
    batch.tokens.insert(batch.tokens.end(), row.begin(), row.end());
  }
  batch.keys.push_back(std::move(sample.key));
  batch.captions.push_back(std::move(sample.caption));
  batch.json.push_back(std::move(sample.json));
  ++batch.size;
  return std::nullopt;
}

void Worker::produce() {
  ShardOrderConfig order;
  order.shards = shards_.size();
  order.readers = config_.world_size * config_.workers;
  order.reader = reader_;
  order.seed = config_.seed;
  order.epoch = job_.epoch;
  order.shuffle = config_.shuffle_buffer > 0;
  order.cycle = config_.drop_last;
  order.resampled = config_.resampled;
  SampleStream stream(shards_, ShardOrder(order), config_.shuffle_buffer,
                      derive_seed({config_.seed, static_cast<std::uint64_t>(job_.epoch), static_cast<std::uint64_t>(reader_),
                                   static_cast<std::uint64_t>(Stream::kSampleShuffle)}),
                      stats_, config_.limits);
  ReaderPosition position = job_.start;
  std::int64_t stream_index = 0;
  Batch batch = empty_batch();
  RawSample sample;
  std::string shard;
  while (job_.batch_limit < 0 || position.batches < job_.batch_limit) {
    // A resuming worker may read far before its first push: notice a stop here too.
    if (stopping_ || !stream.next(sample, shard)) break;
    const std::int64_t index = stream_index++;
    if (index < job_.start.samples) continue;  // consumed before the resume point
    position.samples = index + 1;
    if (const auto skip = add_sample(batch, sample, static_cast<std::uint64_t>(index))) {
      stats_.skipped(skip->reason, shard, sample.key, skip->detail);
      continue;
    }
    stats_.sample_ok(shard);
    if (batch.size == config_.batch_size) {
      ++position.batches;
      if (!push({std::move(batch), position})) return;
      batch = empty_batch();
    }
  }
  if (batch.size > 0 && !config_.drop_last) {
    batch.images.resize(static_cast<std::size_t>(batch.size) * 3 * config_.image_size * config_.image_size);
    ++position.batches;
    push({std::move(batch), position});
  }
}

}  // namespace clipforge::data

#include "data/worker.h"

#include <opencv2/core.hpp>

#include "data/decode.h"
#include "data/sample_stream.h"
#include "data/transforms.h"

namespace clipforge::data {

Worker::Worker(const LoaderConfig& config, const std::vector<ShardSpec>& shards, SkipStats& stats, WorkerJob job)
    : config_(config), shards_(shards), stats_(stats), job_(std::move(job)), thread_([this] { run(); }) {}

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

DecodeOptions Worker::decode_options() const {
  DecodeOptions options;
  options.min_side = config_.train ? config_.image_size : 0;
  options.fast = config_.train;
  options.max_pixels = config_.limits.max_image_pixels;
  return options;
}

std::optional<Worker::Skip> Worker::add_sample(Batch& batch, RawSample& sample, const StreamSegment& segment,
                                               std::uint64_t stream_index) {
  const int size = config_.image_size;
  const DecodeOptions options = decode_options();
  const DecodedImage image = decode_rgb(sample.image, options);
  if (image.status != DecodeStatus::kOk) {
    const SkipReason reason = image.status == DecodeStatus::kTooManyPixels ? SkipReason::kTooManyPixels : SkipReason::kUndecodableImage;
    // A plain undecodable image needs no detail; the other failures say which limit or format.
    return Skip{reason, image.status == DecodeStatus::kUndecodable ? "" : decode_failure(image, options)};
  }
  const cv::Mat& rgb = image.rgb;
  std::uint8_t* out = batch.images.data() + static_cast<std::size_t>(batch.size) * 3 * size * size;
  if (config_.train) {
    std::mt19937_64 rng(derive_seed({config_.seed, static_cast<std::uint64_t>(job_.epoch), static_cast<std::uint64_t>(segment.reader),
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

bool Worker::read_segment(ReaderPosition& position, Batch& batch) {
  const StreamSegment segment = position.remaining.front();
  position.remaining.erase(position.remaining.begin());
  ShardOrderConfig order;
  order.shards = shards_.size();
  order.readers = segment.readers;
  order.reader = segment.reader;
  order.seed = config_.seed;
  order.epoch = job_.epoch;
  order.shuffle = config_.shuffle_buffer > 0;
  order.cycle = config_.drop_last;
  order.resampled = config_.resampled;
  SampleStream stream(shards_, ShardOrder(order), config_.shuffle_buffer,
                      derive_seed({config_.seed, static_cast<std::uint64_t>(job_.epoch), static_cast<std::uint64_t>(segment.reader),
                                   static_cast<std::uint64_t>(Stream::kSampleShuffle)}),
                      stats_, config_.limits);
  RawSample sample;
  std::string shard;
  std::int64_t skip = segment.skip, taken = 0;
  for (std::int64_t index = 0; segment.take < 0 || taken < segment.take; ++index) {
    // A resuming worker may read far before its first push: notice a stop here too.
    if (stopping_) return false;
    if (!stream.next(sample, shard)) break;
    if (index < segment.start) continue;  // consumed before the resume point
    if (skip > 0) {                       // another reader's part of this stream
      if (decode_rgb(sample.image, decode_options()).status == DecodeStatus::kOk) --skip;
      continue;
    }
    if (const auto why = add_sample(batch, sample, segment, static_cast<std::uint64_t>(index))) {
      stats_.skipped(why->reason, shard, sample.key, why->detail);
      continue;
    }
    stats_.sample_ok(shard);
    ++taken;
    if (batch.size == config_.batch_size) {
      ReaderPosition after = position;
      if (segment.take < 0 || taken < segment.take) {
        StreamSegment rest = segment;
        rest.start = index + 1;
        rest.skip = 0;
        rest.take = segment.take < 0 ? -1 : segment.take - taken;
        after.remaining.insert(after.remaining.begin(), rest);
      }
      if (!push({std::move(batch), std::move(after)})) return false;
      batch = empty_batch();
    }
  }
  return true;
}

void Worker::produce() {
  ReaderPosition position = job_.start;
  Batch batch = empty_batch();
  while (!position.remaining.empty()) {
    if (!read_segment(position, batch)) return;
  }
  if (batch.size > 0 && !config_.drop_last) {
    batch.images.resize(static_cast<std::size_t>(batch.size) * 3 * config_.image_size * config_.image_size);
    push({std::move(batch), position});
  }
}

}  // namespace clipforge::data

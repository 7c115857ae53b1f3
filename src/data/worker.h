// One loader worker: a thread that reads its reader's sample stream, decodes and transforms
// images, tokenises captions and queues whole batches (bounded). Its output depends only on
// the segments it reads, the epoch and the configuration, never on timing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/decode.h"
#include "data/loader.h"
#include "data/sample_reader.h"
#include "data/shard_list.h"

namespace clipforge::data {

struct WorkerBatch {
  Batch batch;
  ReaderPosition after;  // the worker's position once this batch is consumed
};

struct WorkerJob {
  int epoch = 0;
  ReaderPosition start;  // the segments to read; samples before a segment's start are read undecoded
  std::size_t queue_capacity = 1;
};

class Worker {
 public:
  Worker(const LoaderConfig& config, const std::vector<ShardSpec>& shards, SkipStats& stats, WorkerJob job);
  ~Worker();  // stops the thread and waits for it
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Blocks for the next batch; nullopt when the worker has ended. Rethrows what the thread threw
  // (after the batches it delivered before).
  std::optional<WorkerBatch> pop();

 private:
  void run();
  void produce();
  // Reads `position.remaining.front()` into `batch`, pushing each batch it fills; false when
  // the worker is being stopped.
  bool read_segment(ReaderPosition& position, Batch& batch);
  struct Skip {
    SkipReason reason;
    std::string detail;
  };
  DecodeOptions decode_options() const;  // as the batch decode uses them
  // Decodes and transforms one sample of `segment`'s stream into slot batch.size; why not, when
  // its image is undecodable or over the pixel limit.
  std::optional<Skip> add_sample(Batch& batch, RawSample& sample, const StreamSegment& segment, std::uint64_t stream_index);
  Batch empty_batch() const;
  // False when the worker is being stopped.
  bool push(WorkerBatch item);

  const LoaderConfig& config_;
  const std::vector<ShardSpec>& shards_;
  SkipStats& stats_;
  WorkerJob job_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<WorkerBatch> queue_;
  bool done_ = false;
  std::atomic<bool> stopping_{false};  // set under mutex_ too, so waits cannot miss it
  std::exception_ptr error_;
  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace clipforge::data

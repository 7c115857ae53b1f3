#include "data/sample_stream.h"

namespace clipforge::data {

SampleStream::SampleStream(const std::vector<ShardSpec>& shards, ShardOrder order, int shuffle_buffer,
                           std::uint64_t shuffle_seed, SkipStats& stats, ReadLimits limits)
    : shards_(shards), order_(std::move(order)), capacity_(shuffle_buffer > 0 ? shuffle_buffer : 0),
      rng_(shuffle_seed), stats_(stats), limits_(limits) {}

bool SampleStream::pull(RawSample& sample, std::string& shard_name) {
  while (true) {
    if (!reader_) {
      if (order_.pass_complete() && !buffer_.empty()) return false;  // drain before the next pass
      // No usable sample in a run of shards that must contain every shard of the reader: cycling
      // or resampling would spin forever.
      if (empty_shards_in_a_row_ >= order_.give_up_after()) return false;
      const auto index = order_.next();
      if (!index) return false;
      current_ = &shards_[*index];
      shard_gave_sample_ = false;
      try {
        reader_ = std::make_unique<SampleReader>(*current_, limits_);
      } catch (const ShardError& e) {
        stats_.skipped(e.reason(), current_->name, "", e.what());
        ++empty_shards_in_a_row_;
        continue;
      }
    }
    bool more = false;
    try {
      more = reader_->next(sample);
    } catch (const ShardError& e) {
      stats_.skipped(e.reason(), current_->name, "", e.what());
    }
    if (!more) {
      reader_.reset();
      empty_shards_in_a_row_ = shard_gave_sample_ ? 0 : empty_shards_in_a_row_ + 1;
      continue;
    }
    stats_.sample_read(current_->name);
    if (const auto reason = check_sample(sample, limits_)) {
      stats_.skipped(*reason, current_->name, sample.key, "");
      continue;
    }
    shard_gave_sample_ = true;
    empty_shards_in_a_row_ = 0;
    shard_name = current_->name;
    return true;
  }
}

bool SampleStream::next(RawSample& sample, std::string& shard_name) {
  Item item;
  while (buffer_.size() < capacity_ && pull(item.sample, item.shard)) buffer_.push_back(std::move(item));
  if (capacity_ == 0) return pull(sample, shard_name);
  if (buffer_.empty()) return false;
  const std::size_t pick = std::uniform_int_distribution<std::size_t>(0, buffer_.size() - 1)(rng_);
  std::swap(buffer_[pick], buffer_.back());
  sample = std::move(buffer_.back().sample);
  shard_name = std::move(buffer_.back().shard);
  buffer_.pop_back();
  return true;
}

}  // namespace clipforge::data

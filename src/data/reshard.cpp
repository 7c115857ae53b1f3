#include "data/reshard.h"

#include <algorithm>

#include "core/error.h"

namespace clipforge::data {

Reshard reshard(const std::vector<LoaderState>& saved, int readers, int batch_size) {
  if (saved.empty()) throw mismatch_error("loader state: no rank's state to resume from");
  std::vector<StreamSegment> left;
  for (const LoaderState& state : saved) {
    if (state.epoch != saved.front().epoch || state.seed != saved.front().seed) {
      throw mismatch_error("loader state: rank " + std::to_string(state.rank) + " was saved in epoch " +
                           std::to_string(state.epoch) + " with seed " + std::to_string(state.seed) + ", rank " +
                           std::to_string(saved.front().rank) + " in epoch " + std::to_string(saved.front().epoch) +
                           " with seed " + std::to_string(saved.front().seed));
    }
    for (const ReaderPosition& position : state.workers) {
      if (position.finished) continue;  // its stream ended early (no usable sample left): nothing to deal
      for (const StreamSegment& segment : position.remaining) {
        if (segment.take < 0) {
          throw mismatch_error("loader state: rank " + std::to_string(state.rank) +
                               " reads to the end of its stream (no drop_last), so its epoch cannot be resharded");
        }
        left.push_back(segment);
      }
    }
  }
  Reshard plan;
  for (const StreamSegment& segment : left) plan.samples_left += segment.take;
  const std::int64_t per_reader = plan.samples_left / (static_cast<std::int64_t>(readers) * batch_size) * batch_size;
  plan.samples_dropped = plan.samples_left - per_reader * readers;
  plan.readers.resize(readers);
  for (int r = 0; r < readers; ++r) {
    const std::int64_t begin = r * per_reader, end = begin + per_reader;
    std::int64_t offset = 0;  // where the segment starts in the sequence
    for (const StreamSegment& segment : left) {
      const std::int64_t from = std::max(begin, offset), to = std::min(end, offset + segment.take);
      if (from < to) {
        StreamSegment part = segment;
        part.skip += from - offset;
        part.take = to - from;
        plan.readers[r].push_back(part);
      }
      offset += segment.take;
    }
  }
  return plan;
}

}  // namespace clipforge::data

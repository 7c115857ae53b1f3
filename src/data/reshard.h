// Resuming an epoch on another layout (world size, workers per rank or batch size): the rule that
// keeps it exact.
//
// The samples the saved readers still had to deliver, taken in saved reader order (rank, then
// worker) as one sequence, are cut into equal contiguous parts of whole batches, one per new
// reader (reader rank * workers + w). So no sample of the epoch is delivered twice, each keeps the
// augmentation it would have had, and the tail that cannot give every new reader one more full
// batch (fewer than readers x batch_size samples) is dropped, as drop_last drops a short batch.
// A new reader that starts inside a saved stream decodes the usable samples before its part to
// find where it begins: a one-off cost of at most one saved reader's share.
#pragma once

#include <cstdint>
#include <vector>

#include "data/loader.h"

namespace clipforge::data {

struct Reshard {
  std::vector<std::vector<StreamSegment>> readers;  // each new reader's segments, in reading order
  std::int64_t samples_left = 0;                    // what the saved readers had still to deliver
  std::int64_t samples_dropped = 0;                 // the tail left undelivered
};

// Throws mismatch_error when the states disagree on epoch or seed, or hold a stream without a
// fixed length (a loader without drop_last cannot be resharded).
Reshard reshard(const std::vector<LoaderState>& saved, int readers, int batch_size);

}  // namespace clipforge::data

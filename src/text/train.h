// Learning a new byte-level BPE vocabulary from captions.
//
//   std::vector<Merge> merges = train_bpe(captions, 8192);
//   write_merges_file("vocab.txt.gz", merges);            // loads back with load_vocabulary
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "text/vocabulary.h"

namespace clipforge::text {

// Cleans and pre-tokenises the captions exactly as encoding does, then repeatedly merges the
// most frequent adjacent pair (ties: the pair of lowest ids, so the result is deterministic)
// until the vocabulary has `vocab_size` ids (512 byte symbols + merges + 2 specials), or no pair
// occurs `min_pair_count` times any more. The merges are in rank order, ready for
// write_merges_file; loaded, the specials take the two highest ids. Throws usage_error when
// vocab_size < 514.
std::vector<Merge> train_bpe(const std::vector<std::string>& captions, std::size_t vocab_size,
                             std::size_t min_pair_count = 2);

}  // namespace clipforge::text

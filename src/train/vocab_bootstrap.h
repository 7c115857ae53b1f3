// Every run carries its tokenizer: the vocabulary given with --vocab is copied into the run
// folder, or, without one, a vocabulary is trained from the training captions first.
#pragma once

#include <string>

namespace clipforge {

// Returns the path of the run's vocabulary (<run>/vocab.txt.gz or a copy of `vocab` keeping its
// name). With `vocab` empty, trains one with `vocab_size` ids from the captions of `train_urls`
// (at most `max_captions` of them). An existing run vocabulary is reused as is (resume).
std::string prepare_run_vocabulary(const std::string& run_dir, const std::string& vocab, const std::string& train_urls,
                                   int vocab_size, std::size_t max_captions = 200000);

}  // namespace clipforge

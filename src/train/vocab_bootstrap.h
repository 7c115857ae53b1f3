// Every run carries its tokenizer: the vocabulary given with --vocab is copied into the run
// folder, or, without one, a vocabulary is trained from the training captions first.
#pragma once

#include <string>

#include "data/csv_table.h"

namespace clipforge {

// Returns the path of the run's vocabulary (<run>/vocab.txt.gz or a copy of `vocab` keeping its
// name). With `vocab` empty, trains one with `vocab_size` ids from the captions of `train_urls`
// (a .csv among them read with `csv`; at most `max_captions` captions). An existing run
// vocabulary is reused as is (resume).
std::string prepare_run_vocabulary(const std::string& run_dir, const std::string& vocab, const std::string& train_urls,
                                   int vocab_size, const data::CsvOptions& csv = {}, std::size_t max_captions = 200000);

}  // namespace clipforge

#include "train/vocab_bootstrap.h"

#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "core/files.h"
#include "data/sample_reader.h"
#include "data/shard_list.h"
#include "text/train.h"
#include "text/vocab_io.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_captions(const std::string& urls, const data::CsvOptions& csv, std::size_t limit) {
  std::vector<std::string> captions;
  for (const auto& shard : data::expand_shard_list(urls, csv)) {
    try {
      data::SampleReader reader(shard);
      data::RawSample sample;
      while (captions.size() < limit && reader.next(sample)) {
        if (!data::check_sample(sample)) captions.push_back(sample.caption);
      }
    } catch (const data::ShardError&) {
      // The loader reports unreadable shards when training starts; here they just give no captions.
    }
    if (captions.size() >= limit) break;
  }
  return captions;
}

}  // namespace

std::string prepare_run_vocabulary(const std::string& run_dir, const std::string& vocab, const std::string& train_urls,
                                   int vocab_size, const data::CsvOptions& csv, std::size_t max_captions) {
  if (!vocab.empty()) {
    if (!fs::exists(vocab)) throw usage_error("--vocab " + vocab + ": no such file");
    // A Hugging Face folder or vocab.json stays where it is; a merges file travels with the run.
    if (fs::is_directory(vocab) || fs::path(vocab).extension() == ".json") return vocab;
    const std::string copy = run_dir + "/" + fs::path(vocab).filename().string();
    if (!fs::exists(copy)) write_file_atomic(copy, read_file(vocab));
    return copy;
  }
  const std::string path = run_dir + "/vocab.txt.gz";
  if (fs::exists(path)) return path;
  std::vector<std::string> captions = read_captions(train_urls, csv, max_captions);
  if (captions.empty()) throw input_error(train_urls + ": no captions to train a vocabulary from (pass --vocab)");
  std::cerr << "clipforge: training a " << vocab_size << "-id vocabulary on " << captions.size() << " captions\n";
  text::write_merges_file(path, text::train_bpe(captions, static_cast<std::size_t>(vocab_size)));
  return path;
}

}  // namespace clipforge

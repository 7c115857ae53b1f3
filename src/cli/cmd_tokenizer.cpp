// `clipforge tokenizer train`: learn a BPE vocabulary from captions.
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/files.h"
#include "text/train.h"
#include "text/vocab_io.h"

namespace clipforge::cli {
namespace {

struct TrainCommandOptions {
  std::string input;
  std::size_t vocab_size = 0;
  std::size_t min_pair_count = 2;
  std::string out;
};

void run_train(const TrainCommandOptions& options) {
  const std::vector<std::string> captions = read_lines(options.input);
  const auto merges = text::train_bpe(captions, options.vocab_size, options.min_pair_count);
  text::write_merges_file(options.out, merges);
  std::cout << "wrote " << options.out << ": " << merges.size() + text::kNonMergeIds << " ids (" << merges.size()
            << " merges) from " << captions.size() << " captions\n";
}

}  // namespace

void register_tokenizer(CLI::App& app) {
  CLI::App* tokenizer = app.add_subcommand("tokenizer", "tokenizer vocabularies");
  tokenizer->require_subcommand(1);
  auto options = std::make_shared<TrainCommandOptions>();
  CLI::App* train = tokenizer->add_subcommand(
      "train", "learn a byte-level BPE vocabulary from captions, written as a gzip merges file that "
               "--vocab accepts; the two special tokens get the highest ids");
  train->add_option("--input", options->input,
                    "text file with one caption per line (webdataset shards will be accepted once the data "
                    "pipeline lands)")
      ->required();
  train->add_option("--vocab-size", options->vocab_size,
                    "ids of the result, at least 514 (512 byte symbols + merges + 2 specials); fewer when the "
                    "captions run out of pairs")
      ->required();
  train->add_option("--min-pair-count", options->min_pair_count, "stop when no pair occurs this often")
      ->capture_default_str();
  train->add_option("--out", options->out, "output merges file, e.g. vocab.txt.gz")->required();
  train->callback([options] { run_train(*options); });
}

}  // namespace clipforge::cli

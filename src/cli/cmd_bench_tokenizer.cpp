// `clipforge bench tokenizer`: captions/s of the tokenizer on one thread.
#include <memory>

#include "bench/bench_tokenizer.h"
#include "bench/report.h"
#include "cli/commands.h"
#include "core/error.h"

namespace clipforge::cli {

void register_bench_tokenizer(CLI::App& bench) {
  auto config = std::make_shared<bench::TokenizerBenchConfig>();
  CLI::App* cmd = bench.add_subcommand(
      "tokenizer", "captions/s on one thread over generated captions: cold cache, warm cache, one per call");
  cmd->add_option("--vocab", config->vocab_path, "vocabulary file (default: $CLIPFORGE_VOCAB)")
      ->envname("CLIPFORGE_VOCAB");
  cmd->add_option("--captions", config->captions, "number of captions")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--captions-out", config->captions_out, "also write the captions timed to this file, one per line");
  cmd->callback([config] {
    if (config->vocab_path.empty()) {
      throw usage_error("bench tokenizer needs a vocabulary: pass --vocab FILE or set CLIPFORGE_VOCAB");
    }
    bench::print_report("tokenizer", bench::run_tokenizer_benchmark(*config));
  });
}

}  // namespace clipforge::cli

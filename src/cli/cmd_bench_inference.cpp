// `clipforge bench zeroshot` and `bench rerank`.
#include "bench/bench_inference.h"
#include "cli/commands.h"

namespace clipforge::cli {

namespace {
void add_common(CLI::App* cmd, bench::InferenceBenchOptions& options) {
  cmd->add_option("--model", options.model, "model config name or .json")->capture_default_str();
  cmd->add_option("--weights", options.weights, "weights (default: random initialisation, same speed)");
  cmd->add_option("--vocab", options.vocab, "tokenizer vocabulary")->envname("CLIPFORGE_VOCAB");
  cmd->add_option("--batch", options.batch, "images per forward pass")->capture_default_str()->check(CLI::PositiveNumber);
}
}  // namespace

void register_bench_inference(CLI::App& bench) {
  auto options = std::make_shared<bench::InferenceBenchOptions>();
  auto* zeroshot = bench.add_subcommand("zeroshot", "zeroshot images/s (decode vs model time) and the cached second run");
  add_common(zeroshot, *options);
  zeroshot->add_option("--images", options->images, "generated 500x375 JPEGs")->capture_default_str()->check(CLI::PositiveNumber);
  zeroshot->add_option("--classes", options->classes, "class names")->capture_default_str()->check(CLI::PositiveNumber);
  zeroshot->add_option("--templates", options->templates, "template set")->capture_default_str();
  zeroshot->callback([options] {
    apply_thread_settings();
    bench::run_zeroshot_benchmark(*options);
  });
  auto* rerank = bench.add_subcommand("rerank", "rerank prompts/s for N images per prompt");
  add_common(rerank, *options);
  rerank->add_option("--sizes", options->rerank_sizes, "images per prompt")->capture_default_str();
  rerank->add_option("--prompts", options->prompts, "prompts per size")->capture_default_str()->check(CLI::PositiveNumber);
  rerank->callback([options] {
    apply_thread_settings();
    bench::run_rerank_benchmark(*options);
  });
}

}  // namespace clipforge::cli

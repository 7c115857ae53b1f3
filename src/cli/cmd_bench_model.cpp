// `clipforge bench model`: tower throughput in inference mode.
#include "bench/bench_model.h"
#include "cli/commands.h"

namespace clipforge::cli {

void register_bench_model(CLI::App& bench) {
  auto options = std::make_shared<bench::ModelBenchOptions>();
  auto* cmd = bench.add_subcommand("model", "images/s and texts/s of encode_image / encode_text, fp32 inference");
  cmd->add_option("--model", options->model, "model config name or .json")->capture_default_str();
  cmd->add_option("--batch", options->batch, "batch size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", options->warmup, "untimed calls first")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--iters", options->iterations, "timed calls (median reported)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--caption-tokens", options->caption_tokens, "BPE tokens per caption for the caption-length text figure")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([options] {
    apply_thread_settings();
    bench::run_model_benchmark(*options);
  });
}

}  // namespace clipforge::cli

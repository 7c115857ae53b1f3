// `clipforge bench train`: training-step throughput, peak memory and MFU.
#include "bench/bench_train.h"
#include "cli/commands.h"

namespace clipforge::cli {

void register_bench_train(CLI::App& bench) {
  auto o = std::make_shared<bench::TrainBenchOptions>();
  auto* cmd = bench.add_subcommand("train", "samples/s of forward + InfoNCE + backward + AdamW on synthetic data");
  cmd->add_option("--model", o->model, "model config name or .json")->capture_default_str();
  cmd->add_option("--batch", o->batch)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--warmup", o->warmup)->capture_default_str();
  cmd->add_option("--iters", o->iterations)->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--caption-tokens", o->caption_tokens)->capture_default_str();
  cmd->add_option("--precision", o->precision)->check(CLI::IsMember({"fp32", "bf16"}))->capture_default_str();
  cmd->callback([o] {
    apply_thread_settings();
    bench::run_train_benchmark(*o);
  });
}

}  // namespace clipforge::cli

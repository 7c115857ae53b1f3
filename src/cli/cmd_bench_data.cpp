// `clipforge bench data`: loader samples/s per thread count (generated JPEG shards without URLS).
#include <memory>

#include "bench/bench_data.h"
#include "bench/report.h"
#include "cli/commands.h"

namespace clipforge::cli {

void register_bench_data(CLI::App& bench) {
  auto config = std::make_shared<bench::DataBenchConfig>();
  CLI::App* cmd = bench.add_subcommand(
      "data", "samples/s end to end (read, decode, train transform, tokenise, batch) per thread count");
  cmd->add_option("urls", config->urls, "shard list (default: generate 640x480 and 1024x768 JPEG shards)");
  cmd->add_option("--image-size", config->image_size, "output size")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--threads", config->threads, "loader threads, e.g. 1,2")->delimiter(',')->check(CLI::PositiveNumber);
  cmd->add_option("--vocab", config->vocab_path, "tokenise captions with this vocabulary (default: $CLIPFORGE_VOCAB)")
      ->envname("CLIPFORGE_VOCAB");
  cmd->add_option("--images", config->generated_images, "images per generated size")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--epochs", config->epochs, "epochs per figure (median)")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->callback([config] {
    apply_thread_settings();
    bench::print_report("data", bench::run_data_benchmark(*config));
  });
}

}  // namespace clipforge::cli

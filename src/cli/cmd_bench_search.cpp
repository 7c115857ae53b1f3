// `clipforge bench search`.
#include "bench/bench_search.h"
#include "cli/commands.h"

namespace clipforge::cli {

void register_bench_search(CLI::App& bench) {
  auto options = std::make_shared<bench::SearchBenchOptions>();
  auto* cmd = bench.add_subcommand("search", "index build time, query latency and recall@k: exact vs HNSW vs IVF");
  cmd->add_option("--rows", options->rows, "random unit vectors indexed")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--dim", options->dim, "dimension")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--queries", options->queries, "random unit query vectors")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--clusters", options->clusters, "draw vectors around N centres (0: uniform on the sphere)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--k", options->k, "neighbours per query")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--ef-search", options->ef_search, "HNSW efSearch values to sweep")->capture_default_str();
  cmd->add_option("--nprobe", options->nprobe, "IVF nprobe values to sweep")->capture_default_str();
  cmd->callback([options] {
    apply_thread_settings();
    bench::run_search_benchmark(*options);
  });
}

}  // namespace clipforge::cli

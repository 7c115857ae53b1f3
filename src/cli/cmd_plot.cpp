// `clipforge plot RUN_DIR`: PNG charts of a training run.
#include <iostream>

#include "cli/commands.h"
#include "train/plot.h"

namespace clipforge::cli {

void register_plot(CLI::App& app) {
  auto run_dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("plot", "PNG charts of a run's loss, lr, temperature, throughput and evaluations");
  cmd->add_option("run", *run_dir, "run folder (runs/NAME)")->required();
  cmd->callback([run_dir] {
    const PlotResult result = plot_run(*run_dir);
    const std::string skipped = skipped_summary(*run_dir + "/metrics.jsonl", result.log);
    if (!skipped.empty()) std::cerr << "clipforge: warning: " << skipped << "\n";
    for (const auto& path : result.written) std::cout << path << "\n";
  });
}

}  // namespace clipforge::cli

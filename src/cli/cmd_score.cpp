// `clipforge score`: CLIP score of image-caption pairs and their mean.
#include <iostream>

#include "cli/commands.h"
#include "eval/clip_score.h"

namespace clipforge::cli {

void register_score(CLI::App& app) {
  auto options = std::make_shared<ScoreOptions>();
  auto* cmd = app.add_subcommand(
      "score", "CLIP score per image-caption pair (clip_score = 100*max(cos,0), clip_s = 2.5*max(cos,0)) and the mean");
  add_encoder_options(cmd, options->encoder);
  cmd->add_option("--pairs", options->pairs,
                  "a .csv with image_path (or filepath) and caption (or title) columns, or WebDataset shard URLs")
      ->required();
  add_csv_options(cmd, options->csv);
  cmd->add_option("--workers", options->workers, "shard decoding threads (0 = one per core)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", options->json, "JSON lines instead of CSV");
  cmd->callback([options] {
    apply_thread_settings();
    run_score(*options, std::cout, std::cerr);
  });
}

}  // namespace clipforge::cli

// `clipforge zeroshot`: top-k labels for each image from class names and prompt templates.
#include <iostream>

#include "cli/commands.h"
#include "eval/zeroshot_run.h"

namespace clipforge::cli {

void register_zeroshot(CLI::App& app) {
  auto options = std::make_shared<ZeroshotOptions>();
  auto* cmd = app.add_subcommand("zeroshot", "classify images zero-shot from class names (top-k labels per image)");
  add_encoder_options(cmd, options->encoder);
  cmd->add_option("--classes", options->classes, "class names: a file (one per line) or a comma list \"cat,dog\"")->required();
  cmd->add_option("--templates", options->templates, "prompt templates: built-in set (general, small), a file, or one template with {}")
      ->capture_default_str();
  cmd->add_option("--top-k", options->top_k, "labels shown per image")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--json", options->json, "one JSON line per image instead of a table");
  cmd->add_option("--cache-dir", options->cache_dir, "classifier cache (default $CLIPFORGE_CACHE or ~/.cache/clipforge)");
  cmd->add_flag("!--no-cache", options->use_cache, "always compute the classifier; read and write no cache");
  cmd->add_option("images", options->inputs, "image files and folders (walked recursively, sorted)")->required();
  cmd->callback([options] {
    apply_thread_settings();
    run_zeroshot(*options, std::cout, std::cerr);
  });
}

}  // namespace clipforge::cli

// `clipforge rerank`: images ranked by CLIP score for a prompt, or a JSONL batch of prompts.
#include <iostream>

#include "cli/commands.h"
#include "eval/rerank.h"

namespace clipforge::cli {

void register_rerank(CLI::App& app) {
  auto options = std::make_shared<RerankOptions>();
  auto* cmd = app.add_subcommand("rerank", "rank images by CLIP score for a prompt (best of N)");
  add_encoder_options(cmd, options->encoder);
  auto* prompt = cmd->add_option("--prompt", options->prompt, "the text the images should match");
  auto* batch = cmd->add_option("--batch", options->batch_file, "JSONL, one {\"prompt\": ..., \"images\": [...]} per line");
  prompt->excludes(batch);
  cmd->add_option("--top-k", options->top_k, "images shown per prompt (0 = all)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", options->json, "one JSON object per prompt (always so with --batch)");
  cmd->add_option("images", options->inputs, "image files and folders")->needs(prompt);
  cmd->callback([options] {
    apply_thread_settings();
    run_rerank(*options, std::cout, std::cerr);
  });
}

}  // namespace clipforge::cli

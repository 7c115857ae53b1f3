// `clipforge embed`: normalised image or text embeddings as .npy plus a row-name file.
#include <iostream>

#include "cli/commands.h"
#include "eval/embed.h"

namespace clipforge::cli {

void register_embed(CLI::App& app) {
  auto options = std::make_shared<EmbedOptions>();
  auto* cmd = app.add_subcommand("embed", "write L2-normalised image or text embeddings as a numpy .npy matrix");
  add_encoder_options(cmd, options->encoder);
  auto* images = cmd->add_option("--images", options->images, "image files and folders (walked recursively, sorted)");
  auto* texts = cmd->add_option("--texts", options->texts, "file with one text per line");
  images->excludes(texts);
  cmd->add_option("--out", options->out, "output .npy ([rows, embed_dim])")->required();
  cmd->add_option("--ids", options->ids, "row names, one per line: image paths or texts (default <out>.ids.txt)");
  cmd->add_flag("--half", options->half, "float16 instead of float32");
  cmd->callback([options] {
    apply_thread_settings();
    const int64_t rows = run_embed(*options, std::cerr);
    std::cerr << "clipforge: wrote " << rows << " embeddings to " << options->out << "\n";
  });
}

}  // namespace clipforge::cli

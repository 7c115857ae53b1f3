// The data flags that several commands share, so they read the same everywhere.
#include "cli/commands.h"

namespace clipforge::cli {

void add_max_image_pixels_option(CLI::App* cmd, std::uint64_t& max_pixels) {
  cmd->add_option("--max-image-pixels", max_pixels,
                  "refuse images whose header states more pixels (width x height) than this, before decoding (0 = no limit)")
      ->capture_default_str();
}

void add_csv_options(CLI::App* cmd, data::CsvOptions& options) {
  // Parsed here, so a bad separator is a usage error before anything is read.
  cmd->add_option_function<std::string>(
      "--csv-separator", [&options](const std::string& text) { options.separator = data::parse_csv_separator(text); },
      "CSV field separator, one character or \\t (default: a tab if the header line has one, else a comma)");
  cmd->add_option("--csv-img-key", options.image_key, "CSV column of image paths (default: image_path, else filepath)");
  cmd->add_option("--csv-caption-key", options.caption_key, "CSV column of captions (default: caption, else title)");
}

}  // namespace clipforge::cli

// `clipforge preprocess`: what the model sees for one image (the eval transform), as .npy and PNG.
#include <memory>

#include "cli/commands.h"
#include "data/image_header.h"
#include "data/preprocess.h"

namespace clipforge::cli {
namespace {
struct PreprocessOptions {
  std::string image;
  int image_size = 224;
  std::string out;
  std::string png;
  std::uint64_t max_image_pixels = data::kDefaultMaxImagePixels;
};
}  // namespace

void register_preprocess(CLI::App& app) {
  auto options = std::make_shared<PreprocessOptions>();
  CLI::App* cmd = app.add_subcommand(
      "preprocess", "eval transform of one image (resize, centre crop, normalise) as float32 [3, N, N] .npy");
  cmd->add_option("image", options->image, "JPEG, PNG, WebP or BMP file")->required();
  cmd->add_option("--image-size", options->image_size, "model input size N")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--out", options->out, "output .npy")->required();
  cmd->add_option("--png", options->png, "also write the uint8 crop as PNG");
  add_max_image_pixels_option(cmd, options->max_image_pixels);
  cmd->callback([options] {
    data::write_preprocessed(data::preprocess_file(options->image, options->image_size, options->max_image_pixels),
                             options->out, options->png);
  });
}

}  // namespace clipforge::cli

// The flags every inference command shares, so they read the same everywhere.
#include "cli/commands.h"

namespace clipforge::cli {

void add_encoder_options(CLI::App* cmd, EncoderOptions& options, bool weights_required) {
  cmd->add_option("--model", options.model, "model config name or .json (default: from the weights' metadata)");
  cmd->add_option("--weights", options.weights, "weights: .safetensors, OpenAI TorchScript .pt or checkpoint")->required(weights_required);
  cmd->add_option("--vocab", options.vocab, "tokenizer vocabulary (OpenAI bpe_simple_vocab_16e6.txt.gz or HF vocab.json)")
      ->envname("CLIPFORGE_VOCAB");
  cmd->add_option("--device", options.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--precision", options.precision, "fp32, bf16 or fp16")->capture_default_str();
  cmd->add_option("--batch-size", options.batch_size, "images or texts per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_max_image_pixels_option(cmd, options.max_image_pixels);
}

}  // namespace clipforge::cli

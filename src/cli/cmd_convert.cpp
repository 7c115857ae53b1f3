// `clipforge convert IN OUT`: any supported weights in; self-describing safetensors out, or a
// Hugging Face CLIPModel folder (`--to hf`: model, tokenizer and image processor files).
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "core/files.h"
#include "data/transforms.h"
#include "model/hf_clip.h"
#include "model/load.h"
#include "text/vocab_io.h"

namespace clipforge::cli {

void register_convert(CLI::App& app) {
  struct Args {
    std::string input, output, model, dtype = "f32", to = "safetensors", vocab;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("convert", "convert weights to safetensors or to a Hugging Face CLIPModel folder");
  cmd->add_option("input", args->input, "weights to read (.pt, .safetensors or a Hugging Face folder)")->required();
  cmd->add_option("output", args->output, "safetensors file to write (--to hf: a folder)")->required();
  cmd->add_option("--model", args->model, "model config name or .json (default: from the weights)");
  cmd->add_option("--dtype", args->dtype, "floating-point dtype to store")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  cmd->add_option("--to", args->to, "output format")->check(CLI::IsMember({"safetensors", "hf"}));
  cmd->add_option("--vocab", args->vocab, "--to hf: the tokenizer vocabulary to write beside the model")
      ->envname("CLIPFORGE_VOCAB");
  cmd->callback([args] {
    if (args->to == "hf" && args->vocab.empty())
      throw usage_error("convert --to hf needs --vocab (or CLIPFORGE_VOCAB): the folder holds the tokenizer too");
    // Loading into the model first proves the output is complete and consistent.
    LoadedModel loaded = load_model({args->model, args->input});
    for (const auto& note : loaded.notes) std::cerr << "clipforge: " << note << "\n";
    const torch::ScalarType dtype =
        args->dtype == "f16" ? torch::kHalf : args->dtype == "bf16" ? torch::kBFloat16 : torch::kFloat;
    if (args->to == "hf") {
      const text::Vocabulary vocab = text::load_vocabulary(args->vocab);
      write_hf_clip(args->output, loaded.model, dtype, vocab.start_of_text(), vocab.end_of_text());
      text::write_hf_tokenizer(args->output, vocab, loaded.config.text.context_length);
      write_file_atomic(args->output + "/preprocessor_config.json",
                        data::hf_image_processor_config(loaded.config.vision.image_size).dump(2) + "\n");
    } else {
      save_model(args->output, loaded.model, dtype);
    }
    std::cout << "wrote " << args->output << " (" << model_config_to_json(loaded.config).dump() << ")" << std::endl;
  });
}

}  // namespace clipforge::cli

// `clipforge convert IN OUT.safetensors`: any supported weights in, self-describing safetensors out.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "model/load.h"

namespace clipforge::cli {

void register_convert(CLI::App& app) {
  struct Args {
    std::string input, output, model, dtype = "f32";
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("convert", "convert TorchScript / torch.save / safetensors weights to safetensors");
  cmd->add_option("input", args->input, "weights to read (.pt or .safetensors)")->required();
  cmd->add_option("output", args->output, "safetensors file to write")->required();
  cmd->add_option("--model", args->model, "model config name or .json (default: from the weights)");
  cmd->add_option("--dtype", args->dtype, "floating-point dtype to store")->check(CLI::IsMember({"f32", "f16", "bf16"}));
  cmd->callback([args] {
    // Loading into the model first proves the output is complete and consistent.
    LoadedModel loaded = load_model({args->model, args->input});
    for (const auto& note : loaded.notes) std::cerr << "clipforge: " << note << "\n";
    const torch::ScalarType dtype =
        args->dtype == "f16" ? torch::kHalf : args->dtype == "bf16" ? torch::kBFloat16 : torch::kFloat;
    save_model(args->output, loaded.model, dtype);
    std::cout << "wrote " << args->output << " (" << model_config_to_json(loaded.config).dump() << ")" << std::endl;
  });
}

}  // namespace clipforge::cli

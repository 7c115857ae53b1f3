// `clipforge info`: what this binary runs on, read from the running process.
#include <iostream>

#include "bench/report.h"
#include "cli/commands.h"

namespace clipforge::cli {
namespace {

std::string cuda_line(const nlohmann::json& cuda) {
  if (!cuda["built_with_cuda"].get<bool>()) return "not in this LibTorch";
  std::string line = "built with " + cuda["runtime"].get<std::string>();
  if (!cuda["cudnn"].is_null()) line += ", cuDNN " + cuda["cudnn"].get<std::string>();
  return line + "; " +
         (cuda["available"].get<bool>() ? std::to_string(cuda["devices"].get<int>()) + " device(s) visible"
                                        : std::string("no device visible"));
}

}  // namespace

void register_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "version, LibTorch, the BLAS actually loaded, threads, CUDA, cuDNN, NCCL");
  auto json_output = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_output, "print one JSON object");
  cmd->callback([json_output] {
    apply_thread_settings();
    const nlohmann::json env = bench::run_environment();
    if (*json_output) {
      std::cout << env.dump(2) << std::endl;
      return;
    }
    const auto& blas = env["blas"];
    std::cout << "clipforge " << env["clipforge"].get<std::string>() << " (" << env["build_type"].get<std::string>()
              << " build)\n"
              << "LibTorch:          " << env["libtorch"].get<std::string>() << "\n"
              << "BLAS:              " << blas["name"].get<std::string>() << " (" << blas["library"].get<std::string>()
              << ")\n";
    if (!blas["config"].get<std::string>().empty())
      std::cout << "BLAS config:       " << blas["config"].get<std::string>() << "\n";
    std::cout << "BLAS threads:      " << blas["threads"].get<int>() << "\n"
              << "ATen matmul:       " << env["aten_matmul"].get<std::string>() << "\n"
              << "CPU linear/attn:   " << env["cpu_matmul"].get<std::string>() << "\n"
              << "large allocations: " << env["large_allocations"].get<std::string>() << "\n"
              << "intra-op threads:  " << env["intra_op_threads"].get<int>() << "\n"
              << "inter-op threads:  " << env["interop_threads"].get<int>() << "\n"
              << "CPU:               " << env["cpu"].get<std::string>() << " (" << env["cores"].get<int>()
              << " cores)\n"
              << "CUDA:              " << cuda_line(env["cuda"]) << "\n"
              << "NCCL:              "
              << (env["collectives"]["nccl"].get<bool>()
                      ? "compiled in (" + env["collectives"]["nccl_version"].get<std::string>() + ")"
                      : std::string("not compiled in"))
              << std::endl;
  });
}

}  // namespace clipforge::cli

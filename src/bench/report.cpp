#include "bench/report.h"

#include <iostream>

#include "clipforge/build_info.h"
#include "core/machine_info.h"
#include "model/runtime.h"

namespace clipforge::bench {

nlohmann::json run_environment() {
  BlasInfo blas = detect_blas();
  nlohmann::json env = runtime_description();
  env["blas"] = {{"name", blas.name}, {"library", blas.library}, {"config", blas.config}, {"threads", blas.threads}};
  env["cpu"] = cpu_model();
  env["cores"] = hardware_cores();
  env["build_type"] = build::kBuildType;
  env["clipforge"] = build::kVersion;
  return env;
}

void print_report(const std::string& name, const nlohmann::json& results) {
  nlohmann::json report = {{"benchmark", name}, {"environment", run_environment()}, {"results", results}};
  std::cout << report.dump(2) << std::endl;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace clipforge::bench

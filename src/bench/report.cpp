#include "bench/report.h"

#include <algorithm>
#include <iostream>

#include "clipforge/build_info.h"
#include "core/machine_info.h"
#include "dist/process_group.h"
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
  env["collectives"] = DistGroup::backends();
  return env;
}

void print_report(const std::string& name, const nlohmann::json& results) {
  nlohmann::json report = {{"benchmark", name}, {"environment", run_environment()}, {"results", results}};
  std::cout << report.dump(2) << std::endl;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<double> time_calls(int warmup, int iterations, const std::function<void()>& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> seconds;
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    seconds.push_back(seconds_since(start));
  }
  return seconds;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace clipforge::bench

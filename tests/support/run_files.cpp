#include "support/run_files.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/files.h"
#include "model/load.h"

namespace clipforge::testing {

std::string latest_stem(const std::string& dir) {
  std::string stem = read_file(dir + "/latest");
  while (!stem.empty() && (stem.back() == '\n' || stem.back() == ' ')) stem.pop_back();
  return stem;
}

std::vector<std::string> loss_lines(const std::string& run) {
  std::vector<std::string> out;
  std::istringstream in(read_file(run + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j.contains("loss")) out.push_back(std::to_string(j["step"].get<int64_t>()) + " " + j["loss"].dump());
  }
  return out;
}

NamedTensors final_weights(const std::string& run) {
  return state_dict(*load_model({"", run + "/checkpoints/" + latest_stem(run + "/checkpoints") + ".safetensors"}).model);
}

}  // namespace clipforge::testing

#include "support/run_files.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/files.h"
#include "model/load.h"

namespace clipforge::testing {

std::vector<std::string> temp_files_under(const std::string& dir, int pid) {
  namespace fs = std::filesystem;
  const std::string marker = ".tmp." + (pid > 0 ? std::to_string(pid) : "");
  std::vector<std::string> found;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().find(marker) != std::string::npos) found.push_back(it->path().string());
  return found;
}

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

void check_identical_runs(const std::string& run, const std::string& reference) {
  const NamedTensors a = final_weights(run), b = final_weights(reference);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    CHECK(torch::equal(a[i].second, b[i].second));
  }
  CHECK(loss_lines(run) == loss_lines(reference));
}

}  // namespace clipforge::testing

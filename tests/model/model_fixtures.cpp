#include "model/model_fixtures.h"

#include <torch/torch.h>

#include <catch2/catch.hpp>

#include "core/files.h"
#include "model/safetensors.h"

namespace clipforge::testing {

std::map<std::string, torch::Tensor> load_expected(const std::string& model_dir) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [name, t] : read_safetensors(model_dir + "/expected.safetensors").tensors) out[name] = t;
  return out;
}

nlohmann::json load_manifest(const std::string& model_dir) {
  return nlohmann::json::parse(read_file(model_dir + "/manifest.json"));
}

double tolerance_excess(const torch::Tensor& actual, const torch::Tensor& expected, double atol, double rtol) {
  REQUIRE(actual.sizes() == expected.sizes());
  torch::Tensor excess = (actual - expected).abs() - (atol + rtol * expected.abs());
  return excess.max().item<double>();
}

}  // namespace clipforge::testing

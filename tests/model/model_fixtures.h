// Helpers shared by the model tests: the reference parity sets in ../shared/reference/models.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include <torch/types.h>

namespace clipforge::testing {

// expected.safetensors of a reference model as name -> tensor.
std::map<std::string, torch::Tensor> load_expected(const std::string& model_dir);
nlohmann::json load_manifest(const std::string& model_dir);

// Largest violation of |actual - expected| <= atol + rtol * |expected| (<= 0 means within).
double tolerance_excess(const torch::Tensor& actual, const torch::Tensor& expected, double atol = 1e-4,
                        double rtol = 1e-5);

}  // namespace clipforge::testing

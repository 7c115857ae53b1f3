// Any bytes as an OpenCLIP model-config JSON: a validated config that survives a round trip
// through JSON, or a clipforge::Error.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "model/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  try {
    const clipforge::ModelConfig config = clipforge::parse_model_config(json, "fuzz.json");
    const clipforge::ModelConfig again = clipforge::parse_model_config(clipforge::model_config_to_json(config), "round trip");
    if (clipforge::model_config_to_json(again) != clipforge::model_config_to_json(config)) __builtin_trap();
  } catch (const clipforge::Error&) {
  }
  return 0;
}

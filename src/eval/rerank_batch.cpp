#include "eval/rerank_batch.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace clipforge {

RerankRequest parse_rerank_request(const std::string& line, const std::string& where) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw input_error(where + ": not a JSON object");
  if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string())
    throw input_error(where + ": needs a string \"prompt\"");
  if (!j.contains("images") || !j["images"].is_array()) throw input_error(where + ": needs an \"images\" array");
  RerankRequest request{j["prompt"].get<std::string>(), {}};
  for (const auto& image : j["images"]) {
    if (!image.is_string()) throw input_error(where + ": \"images\" must hold file paths (strings)");
    request.images.push_back(image.get<std::string>());
  }
  return request;
}

}  // namespace clipforge

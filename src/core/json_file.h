// JSON files read at the edge (model configs, Hugging Face config.json): one error format for all.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace clipforge {

// Parses the whole file at `path`; throws input_error naming the path and, for a syntax error,
// the byte offset where parsing stopped.
nlohmann::json read_json_file(const std::string& path);

}  // namespace clipforge

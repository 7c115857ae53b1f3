#include "core/json_file.h"

#include "core/error.h"
#include "core/files.h"

namespace clipforge {

nlohmann::json read_json_file(const std::string& path) {
  try {
    return nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw input_error(path + ": not valid JSON at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for any JSON number type
    throw input_error(path + ": not valid JSON: " + e.what());
  }
}

}  // namespace clipforge

// The OpenAPI 3.0 description of `clipforge serve`, served at GET /openapi.json: what clients are
// generated from and what schemathesis fuzzes the server against. Its size limits are the
// server's own, so a request the document allows is only refused for its content.
#pragma once

#include <nlohmann/json.hpp>

#include "serve/serve_options.h"

namespace clipforge::serve {

nlohmann::json openapi_document(const RequestLimits& limits, bool token_required);

}  // namespace clipforge::serve

// Any body sent to `clipforge serve`'s POST endpoints: each parser accepts it or refuses it with
// a 400 or 413 and a one-line message, never with another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "serve/requests.h"

namespace {
template <typename Parse>
void check(Parse parse, const nlohmann::json& body, const clipforge::serve::RequestLimits& limits) {
  try {
    parse(body, limits);
  } catch (const clipforge::serve::RequestError& e) {
    const std::string message = e.what();
    if ((e.status != 400 && e.status != 413) || message.empty() || message.find('\n') != std::string::npos) __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace clipforge::serve;
  RequestLimits limits;
  limits.max_images = 4;
  limits.max_texts = 8;
  limits.max_text_bytes = 64;
  nlohmann::json body;
  try {
    body = parse_body(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const RequestError& e) {
    if (e.status != 400 || std::string(e.what()).rfind("body: ", 0) != 0) __builtin_trap();
    return 0;
  }
  check(parse_embed, body, limits);
  check(parse_score, body, limits);
  check(parse_rerank, body, limits);
  check(parse_zeroshot, body, limits);
  check(parse_search, body, limits);
  return 0;
}

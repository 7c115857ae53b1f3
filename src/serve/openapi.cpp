#include "serve/openapi.h"

#include "clipforge/build_info.h"

namespace clipforge::serve {

namespace {
using json = nlohmann::json;

json string_list(int max_items, size_t max_bytes) {
  // maxLength counts characters; a quarter of the byte limit keeps any UTF-8 string under it.
  return {{"type", "array"}, {"maxItems", max_items}, {"items", {{"type", "string"}, {"maxLength", max_bytes / 4}}}};
}

json image_list(int max_items) {
  return {{"type", "array"},
          {"maxItems", max_items},
          {"items", {{"type", "string"}, {"format", "byte"}, {"description", "an encoded image (JPEG, PNG, WebP, BMP), base64"}}}};
}

json error_response(const char* description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

json post(const char* summary, const json& request_schema, const json& extra_request_content = json::object(),
          const json& extra_ok_content = json::object()) {
  json request_content = {{"application/json", {{"schema", request_schema}}}};
  request_content.update(extra_request_content);
  json ok_content = {{"application/json", {{"schema", {{"type", "object"}}}}}};
  ok_content.update(extra_ok_content);
  return {{"post",
           {{"summary", summary},
            {"requestBody", {{"required", true}, {"content", request_content}}},
            {"responses",
             {{"200", {{"description", "the answer"}, {"content", ok_content}}},
              {"400", error_response("a malformed request, or an image that cannot be decoded")},
              {"401", error_response("a missing or wrong bearer token")},
              {"404", error_response("no index loaded (search), or an unknown classifier key (zeroshot)")},
              {"411", error_response("a body without Content-Length")},
              {"413", error_response("over a limit: body size, images, texts, bytes per text, pixels per image")},
              {"503", error_response("the queue is full (see Retry-After), or the model is still loading")},
              {"504", error_response("the request's deadline passed")}}}}}};
}
}  // namespace

json openapi_document(const RequestLimits& limits, bool token_required) {
  const size_t text_chars = limits.max_text_bytes / 4;
  json text = {{"type", "string"}, {"maxLength", text_chars}};
  json image = {{"type", "string"}, {"format", "byte"}};
  json embed = {{"type", "object"},
                {"additionalProperties", false},
                {"properties",
                 {{"texts", string_list(limits.max_texts, limits.max_text_bytes)},
                  {"images", image_list(limits.max_images)},
                  {"format", {{"type", "string"}, {"enum", {"json", "npy"}}}}}}};
  json embed_form = {{"type", "object"},
                     {"properties",
                      {{"image", {{"type", "array"}, {"maxItems", limits.max_images}, {"items", {{"type", "string"}, {"format", "binary"}}}}},
                       {"text", string_list(limits.max_texts, limits.max_text_bytes)},
                       {"format", {{"type", "string"}, {"enum", {"json", "npy"}}}}}}};
  json score = {{"type", "object"},
                {"additionalProperties", false},
                {"required", {"pairs"}},
                {"properties",
                 {{"pairs",
                   {{"type", "array"},
                    {"minItems", 1},
                    {"maxItems", limits.max_images},
                    {"items",
                     {{"type", "object"},
                      {"additionalProperties", false},
                      {"required", {"image", "caption"}},
                      {"properties", {{"image", image}, {"caption", text}}}}}}}}}};
  json rerank = {{"type", "object"},
                 {"additionalProperties", false},
                 {"required", {"prompt", "images"}},
                 {"properties",
                  {{"prompt", text},
                   {"images", image_list(limits.max_images)},
                   {"top_k", {{"type", "integer"}, {"minimum", 0}, {"maximum", limits.max_images}}}}}};
  json zeroshot = {{"type", "object"},
                   {"additionalProperties", false},
                   {"required", {"images"}},
                   {"properties",
                    {{"images", image_list(limits.max_images)},
                     {"classes", string_list(limits.max_texts, limits.max_text_bytes)},
                     {"templates",
                      {{"oneOf",
                        {string_list(limits.max_texts, limits.max_text_bytes),
                         {{"type", "string"}, {"maxLength", text_chars},
                          {"description", "a built-in set (general, small), or one template with {}"}}}}}},
                     {"classifier", {{"type", "string"}, {"description", "the key an earlier answer returned"}}},
                     {"top_k", {{"type", "integer"}, {"minimum", 1}, {"maximum", limits.max_k}}}}}};
  json search = {{"type", "object"},
                 {"additionalProperties", false},
                 {"properties",
                  {{"text", text},
                   {"image", image},
                   {"vector", {{"type", "array"}, {"maxItems", 65536}, {"items", {{"type", "number"}}}}},
                   {"k", {{"type", "integer"}, {"minimum", 1}, {"maximum", limits.max_k}}}}}};
  json get_ok = {{"get", {{"responses", {{"200", {{"description", "ok"}}}}}}}};
  json doc = {
      {"openapi", "3.0.3"},
      {"info", {{"title", "clipforge serve"}, {"version", build::kVersion}}},
      {"paths",
       {{"/v1/embed", post("normalised image and text embeddings", embed, {{"multipart/form-data", {{"schema", embed_form}}}},
                           {{"application/x-npy", {{"schema", {{"type", "string"}, {"format", "binary"}}}}}})},
        {"/v1/score", post("CLIP score of image-caption pairs", score)},
        {"/v1/rerank", post("images ranked by CLIP score for one prompt", rerank)},
        {"/v1/zeroshot", post("zero-shot classification of images", zeroshot)},
        {"/v1/search", post("nearest rows of the loaded index", search)},
        {"/healthz", get_ok},
        {"/readyz", {{"get", {{"responses", {{"200", {{"description", "model loaded"}}}, {"503", {{"description", "loading"}}}}}}}}},
        {"/metrics", get_ok},
        {"/openapi.json", get_ok}}},
      {"components",
       {{"schemas",
         {{"Error",
           {{"type", "object"}, {"required", {"error"}}, {"properties", {{"error", {{"type", "string"}}}}}}}}}}}};
  if (token_required) {
    doc["components"]["securitySchemes"] = {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}};
    for (const char* path : {"/v1/embed", "/v1/score", "/v1/rerank", "/v1/zeroshot", "/v1/search"})
      doc["paths"][path]["post"]["security"] = json::array({{{"bearer", json::array()}}});
  }
  return doc;
}

}  // namespace clipforge::serve

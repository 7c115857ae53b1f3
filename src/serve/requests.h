// The JSON bodies of `clipforge serve`'s POST endpoints, parsed and checked against the limits
// before anything is decoded or queued. Free of LibTorch, so the fuzz build covers it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/serve_options.h"

namespace clipforge::serve {

// A request the server refuses: the HTTP status (4xx) and a one-line message naming the field.
struct RequestError : std::runtime_error {
  RequestError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

// "body: not valid JSON at byte N" (400), a body that is not an object, or one whose nesting or
// number of values no request needs (a few MB of "[0,0,..." would otherwise become hundreds of
// MB of parsed nodes before any count limit could look at it).
nlohmann::json parse_body(const std::string& body);

// The text of an answer. Bytes that are not UTF-8 (from a form part or a URL) are replaced
// instead of thrown on: an answer must never fail to be written.
std::string to_json_text(const nlohmann::json& value);

struct EmbedRequest {
  std::vector<std::string> texts;
  std::vector<std::string> images;  // encoded image bytes (base64 already decoded)
  bool npy = false;                 // answer with .npy bytes instead of JSON lists
};
struct ScoreRequest {
  std::vector<std::string> images, captions;  // pair i is (images[i], captions[i])
};
struct RerankRequest {
  std::string prompt;
  std::vector<std::string> images;
  int top_k = 0;
};
struct ZeroshotRequest {
  std::vector<std::string> images;
  std::vector<std::string> classes;
  std::vector<std::string> templates;  // each with "{}"; empty: the built-in set template_set
  std::string template_set = "general";
  std::string classifier;              // instead of classes: the key an earlier answer returned
  int top_k = 5;
};
struct SearchRequest {
  enum class Source { kText, kImage, kVector } source = Source::kText;
  std::string text;           // the query, as `source` says: a text,
  std::string image;          // an image (bytes),
  std::vector<float> vector;  // or an embedding
  int k = 10;
};

EmbedRequest parse_embed(const nlohmann::json& body, const RequestLimits& limits);
// The same from a multipart/form-data body: parts named "image" (a file's bytes), "text" (one
// text each) and "format".
struct FormPart {
  std::string name, content;
};
EmbedRequest parse_embed_form(const std::vector<FormPart>& parts, const RequestLimits& limits);
ScoreRequest parse_score(const nlohmann::json& body, const RequestLimits& limits);
RerankRequest parse_rerank(const nlohmann::json& body, const RequestLimits& limits);
ZeroshotRequest parse_zeroshot(const nlohmann::json& body, const RequestLimits& limits);
SearchRequest parse_search(const nlohmann::json& body, const RequestLimits& limits);

}  // namespace clipforge::serve

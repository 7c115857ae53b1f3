#include "serve/requests.h"

#include <cmath>
#include <limits>
#include <set>

#include "core/base64.h"
#include "core/error.h"

namespace clipforge::serve {

namespace {

// Every key of `body` must be one of `known`: a misspelt option is an error, not a default.
void check_keys(const nlohmann::json& body, const std::set<std::string>& known) {
  for (const auto& item : body.items())
    if (!known.count(item.key())) throw RequestError(400, "unknown field '" + item.key() + "'");
}

const nlohmann::json* field(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

std::string text_value(const nlohmann::json& value, const std::string& name, const RequestLimits& limits) {
  if (!value.is_string()) throw RequestError(400, name + ": must be a string");
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() > limits.max_text_bytes)
    throw RequestError(413, name + ": " + std::to_string(text.size()) + " bytes, over the limit of " +
                                std::to_string(limits.max_text_bytes) + " (--max-text-bytes)");
  return text;
}

std::string image_value(const nlohmann::json& value, const std::string& name) {
  if (!value.is_string()) throw RequestError(400, name + ": must be a base64 string");
  try {
    std::string bytes = base64_decode(value.get_ref<const std::string&>(), name);
    if (bytes.empty()) throw RequestError(400, name + ": empty image");
    return bytes;
  } catch (const Error& e) {
    throw RequestError(400, e.what());
  }
}

const nlohmann::json& array_field(const nlohmann::json& value, const std::string& name, size_t limit, const char* flag) {
  if (!value.is_array()) throw RequestError(400, name + ": must be an array");
  if (value.size() > limit)
    throw RequestError(413, name + ": " + std::to_string(value.size()) + " items, over the limit of " + std::to_string(limit) +
                                " (" + flag + ")");
  return value;
}

std::vector<std::string> texts_field(const nlohmann::json& body, const char* key, const RequestLimits& limits) {
  std::vector<std::string> texts;
  if (const auto* value = field(body, key)) {
    const auto& items = array_field(*value, key, static_cast<size_t>(limits.max_texts), "--max-texts");
    for (size_t i = 0; i < items.size(); ++i)
      texts.push_back(text_value(items[i], std::string(key) + "[" + std::to_string(i) + "]", limits));
  }
  return texts;
}

std::vector<std::string> images_field(const nlohmann::json& body, const RequestLimits& limits) {
  std::vector<std::string> images;
  if (const auto* value = field(body, "images")) {
    const auto& items = array_field(*value, "images", static_cast<size_t>(limits.max_images), "--max-images");
    for (size_t i = 0; i < items.size(); ++i) images.push_back(image_value(items[i], "images[" + std::to_string(i) + "]"));
  }
  return images;
}

int int_field(const nlohmann::json& body, const char* key, int fallback, int low, int high) {
  const auto* value = field(body, key);
  if (!value) return fallback;
  if (!value->is_number_integer()) throw RequestError(400, std::string(key) + ": must be an integer");
  const auto v = value->get<int64_t>();
  if (v < low || v > high)
    throw RequestError(400, std::string(key) + ": " + std::to_string(v) + " is outside " + std::to_string(low) + ".." +
                                std::to_string(high));
  return static_cast<int>(v);
}

}  // namespace

nlohmann::json parse_body(const std::string& body) {
  // The deepest request nests 3 levels; the most values are a search vector's 65536 numbers or
  // a few hundred texts and images.
  constexpr int kMaxDepth = 16;
  constexpr int64_t kMaxValues = 1 << 18;
  int64_t values = 0;
  const nlohmann::json::parser_callback_t bounded = [&values](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    using Event = nlohmann::json::parse_event_t;
    if (depth > kMaxDepth && (event == Event::object_start || event == Event::array_start))
      throw RequestError(400, "body: nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if ((event == Event::value || event == Event::object_start || event == Event::array_start) && ++values > kMaxValues)
      throw RequestError(413, "body: more than " + std::to_string(kMaxValues) + " JSON values");
    return true;
  };
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body, bounded);
  } catch (const nlohmann::json::parse_error& e) {
    throw RequestError(400, "body: not valid JSON at byte " + std::to_string(e.byte));
  } catch (const nlohmann::json::exception& e) {
    throw RequestError(400, std::string("body: not valid JSON: ") + e.what());
  }
  if (!parsed.is_object()) throw RequestError(400, "body: must be a JSON object");
  return parsed;
}

namespace {
bool npy_format(const std::string& format) {
  if (format != "json" && format != "npy") throw RequestError(400, "format: must be \"json\" or \"npy\"");
  return format == "npy";
}

EmbedRequest checked(EmbedRequest request) {
  if (request.texts.empty() && request.images.empty()) throw RequestError(400, "give texts or images (or both)");
  if (request.npy && !request.texts.empty() && !request.images.empty())
    throw RequestError(400, "format npy: one .npy holds one matrix; send texts and images in separate requests");
  return request;
}
}  // namespace

std::string to_json_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EmbedRequest parse_embed(const nlohmann::json& body, const RequestLimits& limits) {
  check_keys(body, {"texts", "images", "format"});
  EmbedRequest request;
  request.texts = texts_field(body, "texts", limits);
  request.images = images_field(body, limits);
  if (const auto* format = field(body, "format")) {
    if (!format->is_string()) throw RequestError(400, "format: must be \"json\" or \"npy\"");
    request.npy = npy_format(format->get<std::string>());
  }
  return checked(std::move(request));
}

EmbedRequest parse_embed_form(const std::vector<FormPart>& parts, const RequestLimits& limits) {
  EmbedRequest request;
  for (const FormPart& part : parts) {
    if (part.name == "image") {
      const std::string name = "images[" + std::to_string(request.images.size()) + "]";
      if (request.images.size() == static_cast<size_t>(limits.max_images))
        throw RequestError(413, "images: over the limit of " + std::to_string(limits.max_images) + " (--max-images)");
      if (part.content.empty()) throw RequestError(400, name + ": empty image");
      request.images.push_back(part.content);
    } else if (part.name == "text") {
      const std::string name = "texts[" + std::to_string(request.texts.size()) + "]";
      if (request.texts.size() == static_cast<size_t>(limits.max_texts))
        throw RequestError(413, "texts: over the limit of " + std::to_string(limits.max_texts) + " (--max-texts)");
      request.texts.push_back(text_value(part.content, name, limits));
    } else if (part.name == "format") {
      request.npy = npy_format(part.content);
    } else {
      throw RequestError(400, "unknown form part '" + part.name + "' (image, text or format)");
    }
  }
  return checked(std::move(request));
}

ScoreRequest parse_score(const nlohmann::json& body, const RequestLimits& limits) {
  check_keys(body, {"pairs"});
  const auto* value = field(body, "pairs");
  if (!value) throw RequestError(400, "pairs: required");
  const auto& pairs = array_field(*value, "pairs", static_cast<size_t>(limits.max_images), "--max-images");
  if (pairs.empty()) throw RequestError(400, "pairs: empty");
  ScoreRequest request;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const std::string name = "pairs[" + std::to_string(i) + "]";
    if (!pairs[i].is_object()) throw RequestError(400, name + ": must be an object {\"image\", \"caption\"}");
    check_keys(pairs[i], {"image", "caption"});
    const auto* image = field(pairs[i], "image");
    const auto* caption = field(pairs[i], "caption");
    if (!image || !caption) throw RequestError(400, name + ": needs both image and caption");
    request.images.push_back(image_value(*image, name + ".image"));
    request.captions.push_back(text_value(*caption, name + ".caption", limits));
  }
  return request;
}

RerankRequest parse_rerank(const nlohmann::json& body, const RequestLimits& limits) {
  check_keys(body, {"prompt", "images", "top_k"});
  RerankRequest request;
  const auto* prompt = field(body, "prompt");
  if (!prompt) throw RequestError(400, "prompt: required");
  request.prompt = text_value(*prompt, "prompt", limits);
  request.images = images_field(body, limits);
  if (request.images.empty()) throw RequestError(400, "images: at least one image is required");
  request.top_k = int_field(body, "top_k", 0, 0, limits.max_images);
  return request;
}

ZeroshotRequest parse_zeroshot(const nlohmann::json& body, const RequestLimits& limits) {
  check_keys(body, {"images", "classes", "templates", "classifier", "top_k"});
  ZeroshotRequest request;
  request.images = images_field(body, limits);
  if (request.images.empty()) throw RequestError(400, "images: at least one image is required");
  request.classes = texts_field(body, "classes", limits);
  if (const auto* classifier = field(body, "classifier")) {
    if (!classifier->is_string()) throw RequestError(400, "classifier: must be a string");
    request.classifier = classifier->get<std::string>();
  }
  if (request.classes.empty() == request.classifier.empty())
    throw RequestError(400, "give classes (a list of names) or classifier (a key an earlier answer returned), not both");
  if (const auto* templates = field(body, "templates")) {
    if (!request.classifier.empty()) throw RequestError(400, "templates: only with classes");
    if (templates->is_string()) {
      // One template with "{}", else the name of a built-in set, as the CLI's --templates.
      std::string value = text_value(*templates, "templates", limits);
      if (value.find("{}") != std::string::npos)
        request.templates = {value};
      else
        request.template_set = value;
    } else {
      request.templates = texts_field(body, "templates", limits);
      if (request.templates.empty()) throw RequestError(400, "templates: empty");
    }
  }
  const size_t prompts = request.classes.size() * std::max<size_t>(1, request.templates.size());
  if (prompts > static_cast<size_t>(limits.max_texts))
    throw RequestError(413, "classes x templates: " + std::to_string(prompts) + " prompts, over the limit of " +
                                std::to_string(limits.max_texts) + " (--max-texts)");
  request.top_k = int_field(body, "top_k", 5, 1, limits.max_k);
  return request;
}

SearchRequest parse_search(const nlohmann::json& body, const RequestLimits& limits) {
  check_keys(body, {"text", "image", "vector", "k"});
  SearchRequest request;
  int given = 0;
  if (const auto* text = field(body, "text")) {
    request.text = text_value(*text, "text", limits);
    request.source = SearchRequest::Source::kText;
    ++given;
  }
  if (const auto* image = field(body, "image")) {
    request.image = image_value(*image, "image");
    request.source = SearchRequest::Source::kImage;
    ++given;
  }
  if (const auto* vector = field(body, "vector")) {
    if (!vector->is_array() || vector->empty()) throw RequestError(400, "vector: must be a non-empty array of numbers");
    if (vector->size() > 65536) throw RequestError(413, "vector: over 65536 numbers");
    for (size_t i = 0; i < vector->size(); ++i) {
      const double v = (*vector)[i].is_number() ? (*vector)[i].get<double>() : NAN;
      if (!std::isfinite(v) || std::fabs(v) > std::numeric_limits<float>::max())
        throw RequestError(400, "vector[" + std::to_string(i) + "]: must be a finite float32 number");
      request.vector.push_back(static_cast<float>(v));
    }
    request.source = SearchRequest::Source::kVector;
    ++given;
  }
  if (given != 1) throw RequestError(400, "give exactly one of text, image or vector");
  request.k = int_field(body, "k", 10, 1, limits.max_k);
  return request;
}

}  // namespace clipforge::serve

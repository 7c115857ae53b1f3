// Request bodies of `clipforge serve`: what each endpoint accepts, and the status and one-line
// message for what it refuses, before anything is decoded or queued.
#include <catch2/catch.hpp>

#include "serve/requests.h"

using namespace clipforge::serve;
using nlohmann::json;

namespace {
RequestLimits small_limits() {
  RequestLimits limits;
  limits.max_images = 2;
  limits.max_texts = 3;
  limits.max_text_bytes = 10;
  limits.max_k = 5;
  return limits;
}

// The status and message a parser throws for `body`.
template <typename Parse>
std::pair<int, std::string> refusal(Parse parse, const json& body) {
  try {
    parse(body, small_limits());
  } catch (const RequestError& e) {
    return {e.status, e.what()};
  }
  return {0, "accepted"};
}
}  // namespace

TEST_CASE("parse_body names the byte where the JSON breaks", "[serve][requests]") {
  CHECK(parse_body(R"({"texts": ["a"]})")["texts"][0] == "a");
  try {
    parse_body(R"({"texts": [)");
    FAIL("accepted");
  } catch (const RequestError& e) {
    CHECK(e.status == 400);
    CHECK(std::string(e.what()) == "body: not valid JSON at byte 12");
  }
  CHECK_THROWS_WITH(parse_body("[1, 2]"), "body: must be a JSON object");
  CHECK(parse_body(R"({"a": )" + std::string(15, '[') + std::string(15, ']') + "}").contains("a"));
  CHECK_THROWS_WITH(parse_body(R"({"a": )" + std::string(100000, '[')), "body: nested deeper than 16 levels");
  std::string many = "{\"a\": [0";
  for (int i = 0; i < (1 << 18); ++i) many += ",0";
  try {
    parse_body(many + "]}");
    FAIL("accepted");
  } catch (const RequestError& e) {
    CHECK(e.status == 413);
    CHECK(std::string(e.what()) == "body: more than 262144 JSON values");
  }
  CHECK_THROWS_WITH(parse_body("\"\xff\""), Catch::StartsWith("body: not valid JSON at byte"));
}

TEST_CASE("embed takes texts and base64 images, within the limits", "[serve][requests]") {
  const EmbedRequest r = parse_embed({{"texts", {"a cat", "a dog"}}, {"images", {"Zm9v"}}}, small_limits());
  CHECK(r.texts == std::vector<std::string>{"a cat", "a dog"});
  CHECK(r.images == std::vector<std::string>{"foo"});
  CHECK_FALSE(r.npy);
  CHECK(parse_embed({{"texts", {"a"}}, {"format", "npy"}}, small_limits()).npy);

  CHECK(refusal(parse_embed, {{"texts", {"a", "b", "c", "d"}}}) ==
        std::pair<int, std::string>{413, "texts: 4 items, over the limit of 3 (--max-texts)"});
  CHECK(refusal(parse_embed, {{"images", {"Zm9v", "Zm9v", "Zm9v"}}}) ==
        std::pair<int, std::string>{413, "images: 3 items, over the limit of 2 (--max-images)"});
  CHECK(refusal(parse_embed, {{"texts", {"a", "0123456789a"}}}) ==
        std::pair<int, std::string>{413, "texts[1]: 11 bytes, over the limit of 10 (--max-text-bytes)"});
  CHECK(refusal(parse_embed, {{"images", {"Zm9v", "Zm#v"}}}) ==
        std::pair<int, std::string>{400, "images[1]: not base64 at character 2"});
  CHECK(refusal(parse_embed, {{"images", {""}}}) == std::pair<int, std::string>{400, "images[0]: empty image"});
  CHECK(refusal(parse_embed, {{"images", {7}}}) == std::pair<int, std::string>{400, "images[0]: must be a base64 string"});
  CHECK(refusal(parse_embed, {{"texts", "a"}}) == std::pair<int, std::string>{400, "texts: must be an array"});
  CHECK(refusal(parse_embed, {{"text", {"a"}}}) == std::pair<int, std::string>{400, "unknown field 'text'"});
  CHECK(refusal(parse_embed, json::object()).first == 400);
  CHECK(refusal(parse_embed, {{"texts", {"a"}}, {"format", "csv"}}).first == 400);
  CHECK(refusal(parse_embed, {{"texts", {"a"}}, {"images", {"Zm9v"}}, {"format", "npy"}}).first == 400);
}

TEST_CASE("embed's form parts obey the same limits", "[serve][requests]") {
  const EmbedRequest r = parse_embed_form({{"image", "\x89PNG"}, {"text", "a cat"}}, small_limits());
  CHECK(r.images.size() == 1);
  CHECK(r.texts == std::vector<std::string>{"a cat"});
  CHECK_FALSE(r.npy);
  CHECK(parse_embed_form({{"image", "\x89PNG"}, {"format", "npy"}}, small_limits()).npy);
  try {
    parse_embed_form({{"image", "a"}, {"image", "b"}, {"image", "c"}}, small_limits());
    FAIL("accepted");
  } catch (const RequestError& e) {
    CHECK(e.status == 413);
  }
  CHECK_THROWS_WITH(parse_embed_form({{"file", "a"}}, small_limits()), "unknown form part 'file' (image, text or format)");
  CHECK_THROWS_WITH(parse_embed_form({{"images", "a"}}, small_limits()), "unknown form part 'images' (image, text or format)");
  CHECK_THROWS_WITH(parse_embed_form({{"text", "0123456789a"}}, small_limits()), Catch::Contains("over the limit of 10"));
}

TEST_CASE("score, rerank, zeroshot and search name the field they refuse", "[serve][requests]") {
  const ScoreRequest score = parse_score({{"pairs", {{{"image", "Zm9v"}, {"caption", "a"}}}}}, small_limits());
  CHECK(score.captions == std::vector<std::string>{"a"});
  CHECK(refusal(parse_score, {{"pairs", {{{"image", "Zm9v"}}}}}) ==
        std::pair<int, std::string>{400, "pairs[0]: needs both image and caption"});
  CHECK(refusal(parse_score, {{"pairs", json::array()}}) == std::pair<int, std::string>{400, "pairs: empty"});

  const RerankRequest rerank = parse_rerank({{"prompt", "a"}, {"images", {"Zm9v"}}, {"top_k", 1}}, small_limits());
  CHECK(rerank.top_k == 1);
  CHECK(refusal(parse_rerank, {{"images", {"Zm9v"}}}) == std::pair<int, std::string>{400, "prompt: required"});
  CHECK(refusal(parse_rerank, {{"prompt", "a"}, {"images", {"Zm9v"}}, {"top_k", -1}}) ==
        std::pair<int, std::string>{400, "top_k: -1 is outside 0..2"});
  CHECK(refusal(parse_rerank, {{"prompt", "a"}, {"images", {"Zm9v"}}, {"top_k", 1.5}}) ==
        std::pair<int, std::string>{400, "top_k: must be an integer"});

  const ZeroshotRequest zs = parse_zeroshot({{"images", {"Zm9v"}}, {"classes", {"cat"}}, {"templates", "small"}}, small_limits());
  CHECK(zs.template_set == "small");
  CHECK(zs.templates.empty());
  CHECK(parse_zeroshot({{"images", {"Zm9v"}}, {"classifier", "abc"}}, small_limits()).classifier == "abc");
  CHECK(refusal(parse_zeroshot, {{"images", {"Zm9v"}}, {"classes", {"cat"}}, {"classifier", "abc"}}).first == 400);
  CHECK(refusal(parse_zeroshot, {{"images", {"Zm9v"}}, {"classes", {"a", "b"}}, {"templates", {"{}", "a {}"}}}) ==
        std::pair<int, std::string>{413, "classes x templates: 4 prompts, over the limit of 3 (--max-texts)"});

  const SearchRequest search = parse_search({{"vector", {0.5, -1}}, {"k", 5}}, small_limits());
  CHECK(search.source == SearchRequest::Source::kVector);
  CHECK(search.vector == std::vector<float>{0.5f, -1.0f});
  CHECK(parse_search({{"text", ""}}, small_limits()).source == SearchRequest::Source::kText);
  CHECK(refusal(parse_search, {{"text", "a"}, {"vector", {1}}}) ==
        std::pair<int, std::string>{400, "give exactly one of text, image or vector"});
  CHECK(refusal(parse_search, {{"vector", {1, "x"}}}) ==
        std::pair<int, std::string>{400, "vector[1]: must be a finite float32 number"});
  CHECK(refusal(parse_search, {{"vector", {1e300}}}).first == 400);  // inf as a float32
  CHECK(refusal(parse_search, {{"text", "a"}, {"k", 6}}) == std::pair<int, std::string>{400, "k: 6 is outside 1..5"});
}

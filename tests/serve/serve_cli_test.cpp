// `clipforge serve` end to end: a real server process on a free loopback port, asked over HTTP
// what the CLI commands answer for the same files, and pushed over every limit.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <torch/torch.h>

#include <filesystem>
#include <future>
#include <thread>

#include "core/files.h"
#include "core/npy.h"
#include "data/data_fixtures.h"
#include "eval/embed.h"
#include "eval/trained_colours.h"
#include "support/reference.h"
#include "support/run_cli.h"

using namespace clipforge;
using nlohmann::json;
using testing::run_cli;
using testing::write_text;
namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i < bytes.size()) {
    const unsigned v = (uint8_t(bytes[i]) << 16) | (i + 1 < bytes.size() ? uint8_t(bytes[i + 1]) << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

json images_json(const std::vector<std::string>& paths) {
  json images = json::array();
  for (const auto& p : paths) images.push_back(base64(read_file(p)));
  return images;
}

// A `clipforge serve` on a free port; stopped with SIGTERM when the test ends.
class ServeProcess {
 public:
  explicit ServeProcess(const std::string& flags, const std::string& model_flags = testing::trained_colours_flags()) {
    process_ = testing::start_cli("", "serve " + model_flags + "--listen 127.0.0.1:0 " + flags);
    for (int i = 0; i < 2400; ++i) {
      const std::string err = process_.err();
      const std::string serving = "serving on http://127.0.0.1:";
      if (const size_t at = err.find(serving); at != std::string::npos && port_ == 0) port_ = std::stoi(err.substr(at + serving.size()));
      if (err.find("clipforge: ready:") != std::string::npos) return;
      if (process_.wait(0) >= 0) return;  // ended: the test looks at why
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    stop();
    FAIL("the server did not get ready in 60 s: " << process_.err());
  }
  ~ServeProcess() { stop(); }

  int port() const { return port_; }
  const testing::BackgroundCli& process() const { return process_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  // Until GET /metrics shows `rows` images or texts waiting for the model.
  void wait_for_queue(int rows) const {
    const std::string expected = "clipforge_queue_rows " + std::to_string(rows) + "\n";
    for (int i = 0; i < 2400; ++i) {
      if (const auto r = client().Get("/metrics"); r && r->body.find(expected) != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL("the queue never held " << rows << " rows");
  }
  httplib::Result post(const std::string& path, const json& body, const httplib::Headers& headers = {}) const {
    return client().Post(path.c_str(), headers, body.dump(), "application/json");
  }
  // Sends SIGTERM; the exit status, or -1 if it still runs after `timeout_s`.
  int stop(double timeout_s = 30) {
    if (process_.wait(0) < 0) kill(process_.pid, SIGTERM);
    return process_.wait(timeout_s);
  }

 private:
  testing::BackgroundCli process_;
  int port_ = 0;
};

// Sends `request` as is on a new connection and returns all the server answers until it closes.
std::string raw_exchange(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, static_cast<size_t>(n));
  close(fd);
  return answer;
}

int status_of(const httplib::Result& r) {
  REQUIRE(r);
  return r->status;
}

json body_of(const httplib::Result& r) {
  REQUIRE(r);
  return json::parse(r->body);
}

torch::Tensor matrix(const json& rows) {
  std::vector<torch::Tensor> parts;
  for (const auto& row : rows) parts.push_back(torch::tensor(row.get<std::vector<float>>()));
  return torch::stack(parts);
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a - b).abs().max().item<double>();
}

}  // namespace

TEST_CASE("serve answers embed, score, rerank, zeroshot and search as the CLI does", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_parity";
  const std::vector<std::string> paths = testing::write_colour_images(work + "/images", 2);  // red_0, red_1, green_0, ...
  std::vector<std::string> sorted = paths;
  std::sort(sorted.begin(), sorted.end());  // the CLI walks the folder in sorted order
  const std::vector<std::string> texts = {"a photo of a red square", "a photo of a blue square", "green"};
  write_text(work + "/texts.txt", "a photo of a red square\na photo of a blue square\ngreen\n");
  auto r = run_cli("embed " + testing::trained_colours_flags() + "--images " + work + "/images --out " + work + "/images.npy");
  REQUIRE(r.exit_code == 0);
  REQUIRE(run_cli("embed " + testing::trained_colours_flags() + "--texts " + work + "/texts.txt --out " + work + "/texts.npy").exit_code == 0);
  REQUIRE(run_cli("index build --embeddings " + work + "/images.npy --out " + work + "/index").exit_code == 0);
  ServeProcess server("--index " + work + "/index --max-wait-ms 1");
  REQUIRE(server.process().wait(0) < 0);
  const int64_t dim = read_embeddings(work + "/texts.npy").size(1);

  SECTION("embed: JSON lists, .npy bytes and multipart form all equal `clipforge embed`") {
    const json answer = body_of(server.post("/v1/embed", {{"texts", texts}, {"images", images_json(sorted)}}));
    CHECK(answer["dim"] == dim);
    CHECK(max_difference(matrix(answer["image_embeddings"]), read_embeddings(work + "/images.npy")) < 1e-5);
    CHECK(max_difference(matrix(answer["text_embeddings"]), read_embeddings(work + "/texts.npy")) < 1e-5);

    const auto npy_answer = server.post("/v1/embed", {{"texts", texts}, {"format", "npy"}});
    REQUIRE(npy_answer);
    CHECK(npy_answer->status == 200);
    CHECK(npy_answer->get_header_value("Content-Type") == "application/x-npy");
    const npy::Array array = npy::parse(npy_answer->body, "answer");
    REQUIRE(array.shape == std::vector<int64_t>{3, dim});
    CHECK(max_difference(torch::from_blob(const_cast<float*>(array.as<float>()), {3, dim}).clone(), read_embeddings(work + "/texts.npy")) < 1e-5);

    httplib::MultipartFormDataItems form;
    for (const auto& p : sorted) form.push_back({"image", read_file(p), fs::path(p).filename().string(), "image/png"});
    const auto multipart = server.client().Post("/v1/embed", form);
    CHECK(max_difference(matrix(body_of(multipart)["image_embeddings"]), read_embeddings(work + "/images.npy")) < 1e-5);
  }

  SECTION("score: each pair's line of `clipforge score --json`, and its mean") {
    std::string csv = "image_path,caption\n";
    json pairs = json::array();
    for (size_t i = 0; i < sorted.size(); ++i) {
      csv += sorted[i] + "," + texts[i % texts.size()] + "\n";
      pairs.push_back({{"image", base64(read_file(sorted[i]))}, {"caption", texts[i % texts.size()]}});
    }
    write_text(work + "/pairs.csv", csv);
    const auto cli = testing::lines_of(run_cli("score " + testing::trained_colours_flags() + "--pairs " + work + "/pairs.csv --json").out);
    REQUIRE(cli.size() == sorted.size() + 1);
    const json answer = body_of(server.post("/v1/score", {{"pairs", pairs}}));
    REQUIRE(answer["pairs"].size() == sorted.size());
    for (size_t i = 0; i < sorted.size(); ++i) {
      const json line = json::parse(cli[i]);
      CHECK(answer["pairs"][i]["image"] == i);
      CHECK(answer["pairs"][i]["caption"] == line["caption"]);
      CHECK(answer["pairs"][i]["cosine"].get<double>() == Approx(line["cosine"].get<double>()).margin(1e-5));
      CHECK(answer["pairs"][i]["clip_s"].get<double>() == Approx(line["clip_s"].get<double>()).margin(1e-4));
    }
    CHECK(answer["mean"]["clip_score"].get<double>() == Approx(json::parse(cli.back())["mean"]["clip_score"].get<double>()).margin(1e-3));
  }

  SECTION("rerank: the order and cosines of `clipforge rerank --json`") {
    const auto cli = run_cli("rerank " + testing::trained_colours_flags() + "--prompt 'a photo of a blue square' --json " + work + "/images");
    const json expected = json::parse(cli.out);
    const json answer = body_of(server.post("/v1/rerank", {{"prompt", "a photo of a blue square"}, {"images", images_json(sorted)}}));
    CHECK(answer["prompt"] == "a photo of a blue square");
    REQUIRE(answer["ranking"].size() == sorted.size());
    for (size_t r = 0; r < sorted.size(); ++r) {
      CHECK(sorted[answer["ranking"][r]["image"].get<size_t>()] == expected["ranking"][r]["image"].get<std::string>());
      CHECK(answer["ranking"][r]["cosine"].get<double>() == Approx(expected["ranking"][r]["cosine"].get<double>()).margin(1e-5));
    }
    CHECK(fs::path(expected["ranking"][0]["image"].get<std::string>()).filename().string().rfind("blue", 0) == 0);
    const json top = body_of(server.post("/v1/rerank", {{"prompt", "a photo of a blue square"}, {"images", images_json(sorted)}, {"top_k", 2}}));
    CHECK(top["ranking"].size() == 2);
  }

  SECTION("zeroshot: the predictions of `clipforge zeroshot --json`, then again from the cached classifier") {
    const auto cli = testing::lines_of(run_cli("zeroshot " + testing::trained_colours_flags() + "--no-cache --classes red,green,blue,yellow "
                                               "--templates 'a photo of a {} square' --top-k 2 --json " + work + "/images").out);
    REQUIRE(cli.size() == sorted.size());
    const json request = {{"images", images_json(sorted)}, {"classes", {"red", "green", "blue", "yellow"}},
                          {"templates", {"a photo of a {} square"}}, {"top_k", 2}};
    const json answer = body_of(server.post("/v1/zeroshot", request));
    const json again = body_of(server.post("/v1/zeroshot", {{"images", images_json(sorted)}, {"classifier", answer["classifier"]}, {"top_k", 2}}));
    for (const json& result : {answer, again}) {
      REQUIRE(result["results"].size() == sorted.size());
      for (size_t i = 0; i < sorted.size(); ++i) {
        const json line = json::parse(cli[i]);
        CHECK(line["image"] == sorted[i]);
        for (size_t j = 0; j < 2; ++j) {
          CHECK(result["results"][i]["predictions"][j]["label"] == line["predictions"][j]["label"]);
          CHECK(result["results"][i]["predictions"][j]["probability"].get<double>() ==
                Approx(line["predictions"][j]["probability"].get<double>()).margin(1e-5));
        }
      }
    }
    CHECK(again["classifier"] == answer["classifier"]);
    const auto unknown = server.post("/v1/zeroshot", {{"images", images_json({sorted[0]})}, {"classifier", "0123abc"}});
    CHECK(status_of(unknown) == 404);
    CHECK_THAT(body_of(unknown)["error"].get<std::string>(), Catch::Contains("classifier '0123abc' is not cached"));
  }

  SECTION("search: the neighbours `clipforge search --json` finds, for a text, an image and a vector") {
    const json expected = json::parse(run_cli("search " + testing::trained_colours_flags() + "--index " + work + "/index --text 'a photo of a red square' --k 3 --json").out);
    const json by_text = body_of(server.post("/v1/search", {{"text", "a photo of a red square"}, {"k", 3}}));
    REQUIRE(by_text["results"].size() == 3);
    for (size_t j = 0; j < 3; ++j) {
      CHECK(by_text["results"][j]["id"] == expected["results"][j]["id"]);
      CHECK(by_text["results"][j]["cosine"].get<double>() == Approx(expected["results"][j]["cosine"].get<double>()).margin(1e-5));
    }
    const json by_image = body_of(server.post("/v1/search", {{"image", base64(read_file(sorted[0]))}, {"k", 1}}));
    CHECK(by_image["results"][0]["id"] == sorted[0]);
    const torch::Tensor row = read_embeddings(work + "/images.npy")[2];
    const json by_vector = body_of(server.post("/v1/search", {{"vector", std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + dim)}, {"k", 1}}));
    CHECK(by_vector["results"][0]["id"] == sorted[2]);
    CHECK(by_vector["results"][0]["cosine"].get<double>() == Approx(1.0).margin(1e-5));
    CHECK(status_of(server.post("/v1/search", {{"vector", {1.0, 2.0}}})) == 400);
    CHECK(body_of(server.post("/v1/search", {{"text", ""}, {"k", 1}}))["results"].size() == 1);
  }

  SECTION("health, readiness, metrics and the OpenAPI document") {
    auto client = server.client();
    CHECK(status_of(client.Get("/healthz")) == 200);
    const json ready = body_of(client.Get("/readyz"));
    CHECK(ready["embed_dim"] == dim);
    CHECK(ready["index_rows"] == 8);
    const json doc = body_of(client.Get("/openapi.json"));
    CHECK(doc["openapi"] == "3.0.3");
    for (const char* path : {"/v1/embed", "/v1/score", "/v1/rerank", "/v1/zeroshot", "/v1/search"}) CHECK(doc["paths"].contains(path));
    server.post("/v1/embed", {{"texts", {"red"}}});
    const std::string metrics = client.Get("/metrics")->body;
    CHECK_THAT(metrics, Catch::Contains("clipforge_requests_total{endpoint=\"/v1/embed\",code=\"200\"}"));
    CHECK_THAT(metrics, Catch::Contains("clipforge_batch_rows_count{tower=\"text\"}"));
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("serve refuses bad requests with a 4xx JSON error and keeps serving", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_limits";
  const std::vector<std::string> paths = testing::write_colour_images(work + "/images", 1);
  write_text(work + "/bomb.png", testing::bomb_bytes(".png", 60000, 60000));
  write_text(work + "/not_an_image.png", "this is text, not a PNG");
  ServeProcess server("--max-images 3 --max-texts 4 --max-text-bytes 40 --max-body-bytes 100000");
  const auto refused = [&](const std::string& path, const std::string& body, int status, const std::string& message) {
    const auto r = server.client().Post(path.c_str(), body, "application/json");
    REQUIRE(r);
    CHECK(r->status == status);
    CHECK(r->get_header_value("Content-Type") == "application/json");
    CHECK_THAT(json::parse(r->body)["error"].get<std::string>(), Catch::Contains(message));
  };
  refused("/v1/embed", R"({"texts": ["a", )", 400, "body: not valid JSON at byte");
  refused("/v1/embed", json{{"images", images_json(paths)}}.dump(), 413, "images: 4 items, over the limit of 3 (--max-images)");
  refused("/v1/embed", json{{"texts", {std::string(41, 'a')}}}.dump(), 413, "texts[0]: 41 bytes, over the limit of 40");
  // An oversized body is refused on its Content-Length (and discarded unparsed); a body without
  // one is refused before it is read.
  const std::string headers = "POST /v1/embed HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n";
  CHECK_THAT(raw_exchange(server.port(), headers + "Content-Length: 200000\r\n\r\n" + std::string(200000, ' ')),
             Catch::StartsWith("HTTP/1.1 413 ") && Catch::Contains("body over the limit of 100000 bytes (--max-body-bytes)"));
  CHECK_THAT(raw_exchange(server.port(), headers + "Transfer-Encoding: chunked\r\n\r\n5\r\n{}   \r\n0\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 411 ") && Catch::Contains("a POST body needs a Content-Length"));
  // A path that is not UTF-8 once decoded is named in the answer, not thrown on.
  CHECK_THAT(raw_exchange(server.port(), "GET /%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
             Catch::StartsWith("HTTP/1.1 404 ") && Catch::Contains("no endpoint GET /"));
  // A good image beside one over the pixel limit: refused before any decoding starts.
  refused("/v1/embed", json{{"images", images_json({paths[0], work + "/bomb.png", paths[1]})}}.dump(), 413,
          "images[1]: 60000x60000 pixels");
  refused("/v1/embed", json{{"texts", {"a"}}, {"images", images_json({paths[0]})}, {"format", "npy"}}.dump(), 400,
          "one .npy holds one matrix");
  const auto npy_both = server.post("/v1/embed", {{"texts", {"a"}}, {"images", images_json({paths[0]})}}, {{"Accept", "application/x-npy"}});
  CHECK(status_of(npy_both) == 400);
  refused("/v1/embed", json{{"images", images_json({work + "/bomb.png"})}}.dump(), 413,
          "images[0]: 60000x60000 pixels, over the limit of 89478485 (--max-image-pixels)");
  refused("/v1/embed", json{{"images", images_json({paths[0], work + "/not_an_image.png"})}}.dump(), 400, "images[1]:");
  refused("/v1/embed", json{{"images", {"not base64!"}}}.dump(), 400, "images[0]: not base64 at character 3");
  refused("/v1/rerank", json{{"prompt", "red"}}.dump(), 400, "images: at least one image is required");
  refused("/v1/zeroshot", json{{"images", images_json({paths[0]})}, {"classes", {"red"}}, {"templates", {"no braces"}}}.dump(), 400,
          "template 'no braces' has no {}");
  refused("/v1/zeroshot", json{{"images", images_json({paths[0]})}, {"classes", {"red", "green"}}, {"templates", "small"}}.dump(), 413,
          "6 prompts, over the limit of 4");
  refused("/v1/search", json{{"text", "red"}}.dump(), 404, "no index loaded");
  refused("/v1/nothing", "{}", 404, "no endpoint POST /v1/nothing");
  const auto get_on_post = server.client().Get("/v1/embed");
  CHECK(status_of(get_on_post) == 404);
  CHECK(json::parse(get_on_post->body).contains("error"));
  // Still serving, and the refusals were counted.
  CHECK(status_of(server.post("/v1/embed", {{"texts", {"red"}}})) == 200);
  const std::string metrics = server.client().Get("/metrics")->body;
  CHECK_THAT(metrics, Catch::Contains("clipforge_errors_total{code=\"413\"} 6\n"));
  CHECK_THAT(metrics, Catch::Contains("clipforge_errors_total{code=\"411\"} 1\n"));
  CHECK_THAT(metrics, Catch::Contains("clipforge_requests_total{endpoint=\"other\",code=\"404\"} 2\n"));
  CHECK(server.stop() == 0);
}

TEST_CASE("concurrent requests share model calls and get the embeddings each would get alone", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_concurrent";
  std::vector<std::string> paths = testing::write_colour_images(work + "/images", 3);
  std::sort(paths.begin(), paths.end());
  REQUIRE(run_cli("embed " + testing::trained_colours_flags() + "--images " + work + "/images --out " + work + "/alone.npy").exit_code == 0);
  const torch::Tensor alone = read_embeddings(work + "/alone.npy");
  ServeProcess server("--max-wait-ms 200 --max-batch 64");
  std::vector<std::future<json>> answers;
  for (const auto& path : paths)
    answers.push_back(std::async(std::launch::async, [&, path] { return body_of(server.post("/v1/embed", {{"images", images_json({path})}})); }));
  for (size_t i = 0; i < paths.size(); ++i)
    CHECK(max_difference(matrix(answers[i].get()["image_embeddings"]), alone.narrow(0, int64_t(i), 1)) < 1e-5);
  const std::string metrics = server.client().Get("/metrics")->body;
  const std::string count = "clipforge_batch_rows_count{tower=\"image\"} ";
  const size_t at = metrics.find(count);
  REQUIRE(at != std::string::npos);
  INFO(metrics);
  CHECK(std::stoi(metrics.substr(at + count.size())) < int(paths.size()));  // fewer model calls than requests
  CHECK(server.stop() == 0);
}

TEST_CASE("a full queue answers 503 with Retry-After, and a request past its deadline 504", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_queue";
  const std::vector<std::string> paths = testing::write_colour_images(work + "/images", 1);
  // The first image waits 3 s for company: the queue (one row) is full behind it, and its own
  // 1 s deadline passes before the model is reached.
  ServeProcess server("--max-queue 1 --max-wait-ms 3000 --deadline-ms 1000");
  auto first = std::async(std::launch::async, [&] { return server.post("/v1/embed", {{"images", images_json({paths[0]})}}); });
  server.wait_for_queue(1);
  const auto full = server.post("/v1/embed", {{"images", images_json({paths[1]})}});
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(full->get_header_value("Retry-After") == "1");
  CHECK_THAT(json::parse(full->body)["error"].get<std::string>(), Catch::Contains("queue is full"));
  const auto late = first.get();
  REQUIRE(late);
  CHECK(late->status == 504);
  CHECK_THAT(json::parse(late->body)["error"].get<std::string>(), Catch::Contains("deadline"));
  CHECK(server.stop() == 0);
}

TEST_CASE("SIGTERM lets the requests in flight finish, then serve exits 0", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_sigterm";
  const std::vector<std::string> paths = testing::write_colour_images(work + "/images", 1);
  ServeProcess server("--max-wait-ms 1500");
  auto in_flight = std::async(std::launch::async, [&] { return server.post("/v1/embed", {{"images", images_json({paths[0]})}}); });
  server.wait_for_queue(1);  // queued, waiting for company
  kill(server.process().pid, SIGTERM);
  const auto answer = in_flight.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body_of(answer)["image_embeddings"].size() == 1);
  CHECK(server.process().wait(20) == 0);
  CHECK_THAT(server.process().err(), Catch::Contains("finishing the requests in flight") && Catch::Contains("clipforge: stopped"));
  CHECK_FALSE(static_cast<bool>(server.client().Get("/healthz")));  // no longer listening
}

TEST_CASE("a bearer token guards /v1/* and nothing else", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_token";
  write_text(work + "/token", "s3cret-token\n");
  ServeProcess server("--token-file " + work + "/token");
  const json body = {{"texts", {"red"}}};
  const auto missing = server.post("/v1/embed", body);
  CHECK(status_of(missing) == 401);
  CHECK(missing->get_header_value("WWW-Authenticate") == "Bearer");
  CHECK(status_of(server.post("/v1/embed", body, {{"Authorization", "Bearer s3cret-tokeN"}})) == 401);
  CHECK(status_of(server.post("/v1/embed", body, {{"Authorization", "Bearer s3cret-token"}})) == 200);
  CHECK(status_of(server.client().Get("/healthz")) == 200);
  CHECK(body_of(server.client().Get("/openapi.json"))["components"].contains("securitySchemes"));
  CHECK(server.stop() == 0);
}

TEST_CASE("serve with unusable start-up flags fails with one line and no listener left", "[serve][cli]") {
  const std::string work = testing::temp_dir() + "/serve_bad";
  ServeProcess missing_weights("", "--weights " + work + "/missing.safetensors --vocab " + testing::trained_colours().vocab + " ");
  CHECK(missing_weights.process().wait(30) == 3);
  CHECK_THAT(missing_weights.process().err(), Catch::Contains("clipforge: error: ") && Catch::Contains("missing.safetensors"));
  auto r = run_cli("serve " + testing::trained_colours_flags() + "--listen 127.0.0.1:99999");
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--listen '127.0.0.1:99999': the port must be a number from 0 to 65535"));
  r = run_cli("serve " + testing::trained_colours_flags() + "--listen 127.0.0.1:0 --token-file " + work + "/no_token");
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, Catch::Contains("no_token"));
}

// `clipforge serve`: embed, score, rerank, zero-shot and search over HTTP, one model for all.
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "serve/http_server.h"

namespace clipforge::cli {

namespace {
// HOST:PORT, split at the last colon so "[::1]:8080" keeps its address.
void parse_listen(const std::string& value, serve::ServeOptions& options) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) throw usage_error("--listen '" + value + "': expected HOST:PORT");
  std::string host = value.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
    throw usage_error("--listen '" + value + "': the port must be a number from 0 to 65535");
  options.host = host;
  options.port = std::stoi(port);
}
}  // namespace

void register_serve(CLI::App& app) {
  auto options = std::make_shared<serve::ServeOptions>();
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  auto* cmd = app.add_subcommand("serve", "an HTTP service: embed, score, rerank, zeroshot and search with dynamic batching");
  add_encoder_options(cmd, options->encoder);
  cmd->add_option("--index", options->index, "index folder from `clipforge index build`, for POST /v1/search");
  cmd->add_option("--listen", *listen, "HOST:PORT to listen on (port 0: any free one)")->capture_default_str();
  cmd->add_option("--token-file", options->token_file, "file holding the bearer token that /v1/* requests must carry");
  cmd->add_option("--max-batch", options->max_batch, "rows per model call")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--max-wait-ms", options->max_wait_ms, "how long a request waits for others to share a model call")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  cmd->add_option("--max-queue", options->max_queue, "images and texts waiting for the model before answering 503")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
  cmd->add_option("--deadline-ms", options->deadline_ms, "per request: answer 504 after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600 * 1000));
  cmd->add_option("--http-threads", options->http_threads, "connections served at once")->capture_default_str()->check(CLI::Range(1, 4096));
  cmd->add_option("--decode-threads", options->decode_threads, "image decoding threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  cmd->add_option("--classifier-cache", options->classifier_cache, "zero-shot classifiers kept in memory")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  auto& limits = options->limits;
  cmd->add_option("--max-body-bytes", limits.max_body_bytes, "request body limit")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-images", limits.max_images, "images (or pairs) per request")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--max-texts", limits.max_texts, "texts per request, and classes x templates of a zero-shot request")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-text-bytes", limits.max_text_bytes, "bytes per text")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([options, listen] {
    parse_listen(*listen, *options);
    apply_thread_settings();
    serve::run_server(*options, std::cerr);
  });
}

}  // namespace clipforge::cli

#include "serve/http_server.h"

#include <c10/util/Exception.h>
#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <memory>
#include <set>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "serve/openapi.h"
#include "serve/service.h"
#include "serve/stop_signals.h"

namespace clipforge::serve {

namespace {

void set_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(to_json_text({{"error", message}}), "application/json");
}

// Examines every byte of the expected token whatever the input, so the answer's timing says
// nothing about how much of a guess was right.
bool same_token(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i)
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}

std::string read_token(const std::string& path) {
  std::string token = read_file(path);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) throw usage_error(path + ": the token file is empty");
  return token;
}

// The answer to whatever a request handler threw.
void answer_error(httplib::Response& res, std::ostream& log) {
  try {
    throw;
  } catch (const RequestError& e) {
    set_error(res, e.status, e.what());
  } catch (const QueueFull& e) {
    set_error(res, 503, std::string(e.what()) + ": retry later");
    res.set_header("Retry-After", "1");
  } catch (const Error& e) {
    // The library's usage, input and mismatch errors are about what the request sent.
    const bool client = e.kind() != ErrorKind::kRuntime;
    if (!client) log << "clipforge: error while serving: " << e.what() << "\n";
    set_error(res, client ? 400 : 500, e.what());
  } catch (const c10::Error& e) {
    std::string message = e.what_without_backtrace();
    message = message.substr(0, message.find('\n'));
    log << "clipforge: error while serving: " << message << "\n";
    set_error(res, 500, message);
  } catch (const std::exception& e) {
    log << "clipforge: error while serving: " << e.what() << "\n";
    set_error(res, 500, e.what());
  }
}

std::vector<FormPart> form_parts(const httplib::Request& req) {
  std::vector<FormPart> parts;
  for (const auto& [name, part] : req.files) parts.push_back({name, part.content});
  return parts;
}

}  // namespace

void run_server(const ServeOptions& options, std::ostream& log) {
  const std::string token = options.token_file.empty() ? "" : read_token(options.token_file);

  watch_stop_signals();
  httplib::Server server;
  std::atomic<Service*> ready{nullptr};
  Metrics metrics([&ready] {
    Service* service = ready.load();
    return service ? service->queued_rows() : int64_t{0};
  });
  const std::string openapi = openapi_document(options.limits, !token.empty()).dump();

  const int http_threads = options.http_threads;
  server.new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<size_t>(http_threads)); };
  server.set_payload_max_length(options.limits.max_body_bytes);
  server.set_keep_alive_max_count(100000);
  int listen_socket = -1;
  server.set_socket_options([&listen_socket](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket = sock;
  });
  // Metrics are labelled by route, never by the raw path: a client probing random paths must
  // not grow the label set. Filled below, before the server listens.
  std::set<std::string> routes;
  server.set_logger([&metrics, &routes](const httplib::Request& req, const httplib::Response& res) {
    metrics.count_request(routes.count(req.path) ? req.path : "other", res.status);
  });
  server.set_error_handler([&options](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own JSON error
    if (res.status == 404)
      set_error(res, 404, "no endpoint " + req.method + " " + req.path + " (see GET /openapi.json)");
    else if (res.status == 413)
      set_error(res, 413, "body over the limit of " + std::to_string(options.limits.max_body_bytes) + " bytes (--max-body-bytes)");
    else
      set_error(res, res.status, "HTTP status " + std::to_string(res.status));
  });
  // Runs before a body is read. cpp-httplib 0.11 holds bodies to --max-body-bytes by their
  // Content-Length only, so a body without one (chunked, or read to the end) is refused here.
  server.set_pre_routing_handler([&token](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" && (req.has_header("Transfer-Encoding") || !req.has_header("Content-Length"))) {
      set_error(res, 411, "a POST body needs a Content-Length (chunked bodies are not accepted)");
      res.set_header("Connection", "close");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (token.empty() || req.path.rfind("/v1/", 0) != 0 || same_token(req.get_header_value("Authorization"), "Bearer " + token))
      return httplib::Server::HandlerResponse::Unhandled;
    set_error(res, 401, "a bearer token is required (Authorization: Bearer <token>)");
    res.set_header("WWW-Authenticate", "Bearer");
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });

  const auto get = [&](const std::string& path, httplib::Server::Handler handler) {
    routes.insert(path);
    server.Get(path, std::move(handler));
  };
  get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  get("/readyz", [&ready](const httplib::Request&, httplib::Response& res) {
    if (Service* service = ready.load())
      res.set_content(to_json_text(service->describe()), "application/json");
    else
      set_error(res, 503, "the model is still loading");
  });
  get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.render(), "text/plain; version=0.0.4");
  });
  get("/openapi.json", [&openapi](const httplib::Request&, httplib::Response& res) {
    res.set_content(openapi, "application/json");
  });

  using Handler = std::function<Reply(Service&, const httplib::Request&, Clock::time_point)>;
  const auto route = [&](const std::string& path, Handler handler) {
    routes.insert(path);
    server.Post(path, [&, path, handler](const httplib::Request& req, httplib::Response& res) {
      const auto start = Clock::now();
      try {
        Service* service = ready.load();
        if (!service) throw RequestError(503, "the model is still loading (GET /readyz)");
        const Reply reply = handler(*service, req, start + std::chrono::milliseconds(options.deadline_ms));
        res.status = 200;
        res.set_content(reply.body, reply.content_type);
      } catch (...) {
        answer_error(res, log);
      }
      metrics.observe_latency(path, std::chrono::duration<double>(Clock::now() - start).count());
    });
  };
  const RequestLimits& limits = options.limits;
  route("/v1/embed", [&limits](Service& s, const httplib::Request& req, Clock::time_point deadline) {
    if (req.is_multipart_form_data()) return s.embed(parse_embed_form(form_parts(req), limits), deadline);
    nlohmann::json body = parse_body(req.body);
    if (req.get_header_value("Accept") == "application/x-npy") body["format"] = "npy";
    return s.embed(parse_embed(body, limits), deadline);
  });
  route("/v1/score", [&limits](Service& s, const httplib::Request& req, Clock::time_point deadline) {
    return s.score(parse_score(parse_body(req.body), limits), deadline);
  });
  route("/v1/rerank", [&limits](Service& s, const httplib::Request& req, Clock::time_point deadline) {
    return s.rerank(parse_rerank(parse_body(req.body), limits), deadline);
  });
  route("/v1/zeroshot", [&limits](Service& s, const httplib::Request& req, Clock::time_point deadline) {
    return s.zeroshot(parse_zeroshot(parse_body(req.body), limits), deadline);
  });
  route("/v1/search", [&limits](Service& s, const httplib::Request& req, Clock::time_point deadline) {
    return s.search(parse_search(parse_body(req.body), limits), deadline);
  });

  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) throw usage_error("--listen " + options.host + ":0: cannot listen there");
  } else if (!server.bind_to_port(options.host, port)) {
    throw usage_error("--listen " + options.host + ":" + std::to_string(port) + ": cannot listen there (in use, or not an address of this machine?)");
  }
  // cpp-httplib listens with a backlog of 5: a burst of new connections beyond that waits for
  // the client's SYN retry (a second), so the socket listens again with the system's maximum.
  if (listen_socket >= 0) ::listen(listen_socket, SOMAXCONN);
  log << "clipforge: serving on http://" << options.host << ":" << port << " (loading the model)" << std::endl;

  std::atomic<bool> stop_requested{false}, finished{false};
  std::thread stopper([&] {
    bool announced = false, stopped = false;
    while (!finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (const int signal = stop_signal_received(); signal != 0 && !announced) {
        log << "clipforge: signal " << signal << ": finishing the requests in flight, then stopping" << std::endl;
        announced = stop_requested = true;
      }
      // Once the accept loop runs: a stop before it started would be lost.
      if (stop_requested && !stopped && server.is_running()) {
        server.stop();
        stopped = true;
      }
    }
  });
  std::unique_ptr<Service> service;
  std::exception_ptr load_error;
  std::thread loader([&] {
    try {
      service = std::make_unique<Service>(options, metrics);
      ready = service.get();
      log << "clipforge: ready: " << to_json_text(service->describe()) << std::endl;
    } catch (...) {
      load_error = std::current_exception();
      stop_requested = true;
    }
  });
  // Returns once stopped and every connection thread has answered its request.
  const bool listened = server.listen_after_bind();
  finished = true;
  stopper.join();
  loader.join();
  ready = nullptr;
  service.reset();
  if (load_error) std::rethrow_exception(load_error);
  if (!listened && !stop_requested) throw runtime_error("--listen " + options.host + ": accepting connections failed");
  log << "clipforge: stopped" << std::endl;
}

}  // namespace clipforge::serve

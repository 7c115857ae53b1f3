// `clipforge serve`: the service (service.h) behind HTTP/1.1 with JSON bodies.
//
// cpp-httplib (Debian's libcpp-httplib-dev) carries the HTTP: a well-kept, widely used library
// with a blocking thread-per-connection model, which is what a server whose work is one model
// call per batch needs; Boost.Beast would bring asynchronous I/O this server has no use for.
#pragma once

#include <ostream>

#include "serve/serve_options.h"

namespace clipforge::serve {

// Listens, loads the model in the background (GET /readyz answers 503 until it is loaded) and
// serves until SIGTERM or SIGINT: then it stops accepting, finishes the requests in flight and
// returns. Writes "clipforge: serving on http://HOST:PORT" to `log` once listening. Throws
// clipforge::Error when it cannot listen or the model cannot be loaded.
void run_server(const ServeOptions& options, std::ostream& log);

}  // namespace clipforge::serve

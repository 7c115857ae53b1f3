// What `clipforge serve` is told at start-up, filled by the command line and validated there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "eval/encoder_options.h"

namespace clipforge::serve {

// Per-request limits; a request over any of them is answered 413 and never reaches the model.
struct RequestLimits {
  std::size_t max_body_bytes = 32u << 20;
  int max_images = 64;             // per request
  int max_texts = 256;             // per request; also the prompts (classes x templates) of a zero-shot request
  std::size_t max_text_bytes = 4096;
  int max_k = 1000;                // neighbours per search, classes per zero-shot answer
};

struct ServeOptions {
  EncoderOptions encoder;          // its max_image_pixels refuses decompression bombs
  std::string index;               // folder from `clipforge index build`; empty: no /v1/search
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (printed on start)
  int max_batch = 32;              // rows per model call
  int max_wait_ms = 0;             // how long a lone request waits for others to share its model call
  int64_t max_queue = 256;         // rows waiting for the model before 503
  int deadline_ms = 30000;         // per request, from arrival to answer; then 504
  int http_threads = 64;           // connections served at once
  int decode_threads = 0;          // image decoding; 0: one per core
  int classifier_cache = 32;       // zero-shot classifiers kept in memory
  std::string token_file;          // bearer token required on /v1/*; empty: none
  RequestLimits limits;
};

}  // namespace clipforge::serve

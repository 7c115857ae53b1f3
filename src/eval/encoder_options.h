// What the inference commands need to build an Encoder (encoder.h), kept free of LibTorch so
// the command-line layer can fill it cheaply.
#pragma once

#include <cstdint>
#include <string>

#include "data/image_header.h"

namespace clipforge {

struct EncoderOptions {
  std::string model;    // config name or .json; empty: from the weights
  std::string weights;  // required
  std::string vocab;    // tokenizer file; empty: $CLIPFORGE_VOCAB
  std::string device = "cpu";
  std::string precision = "fp32";  // fp32, bf16 or fp16
  int batch_size = 64;
  // Images whose header states more pixels are refused before decoding; 0 = no limit.
  std::uint64_t max_image_pixels = data::kDefaultMaxImagePixels;
};

}  // namespace clipforge

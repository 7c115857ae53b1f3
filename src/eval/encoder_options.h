// What the inference commands need to build an Encoder (encoder.h), kept free of LibTorch so
// the command-line layer can fill it cheaply.
#pragma once

#include <string>

namespace clipforge {

struct EncoderOptions {
  std::string model;    // config name or .json; empty: from the weights
  std::string weights;  // required
  std::string vocab;    // tokenizer file; empty: $CLIPFORGE_VOCAB
  std::string device = "cpu";
  std::string precision = "fp32";  // fp32, bf16 or fp16
  int batch_size = 64;
};

}  // namespace clipforge

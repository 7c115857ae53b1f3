// `clipforge embed`: normalised image or text embeddings as a numpy .npy matrix, with a file
// naming each row, for retrieval indexes and for Python.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <torch/types.h>

#include "eval/encoder_options.h"

namespace clipforge {

struct EmbedOptions {
  EncoderOptions encoder;
  std::vector<std::string> images;  // files and folders; or
  std::string texts;                // a file with one text per line
  std::string out;                  // .npy
  std::string ids;                  // row names; empty: <out>.ids.txt
  bool half = false;                // float16 instead of float32
};

// Returns the number of rows written; skipped images are reported on `log`.
int64_t run_embed(const EmbedOptions& options, std::ostream& log);

// [rows, dim] float32/float16 .npy -> float32 tensor (see npy::read_float_matrix).
torch::Tensor read_embeddings(const std::string& path);
void write_embeddings(const std::string& path, const torch::Tensor& features, bool half);

}  // namespace clipforge

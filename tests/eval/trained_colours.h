// A tiny CLIP trained once per test process on colour squares, and held-out colour images, for
// the tests whose answer is known (zero-shot accuracy, reranking order).
#pragma once

#include <string>
#include <vector>

namespace clipforge::testing {

struct TrainedColours {
  std::string weights;  // safetensors with the config in its metadata
  std::vector<std::string> classes;  // red, green, blue, yellow
  std::string vocab;    // the vocabulary the run trained
};

// Trains on first use (a few seconds) and returns the same model afterwards.
const TrainedColours& trained_colours();

// "--weights W --vocab V " of that model, for the inference commands' tests.
std::string trained_colours_flags();

// `per_colour` noisy 16x16 squares of each colour as DIR/<colour>_<i>.png, drawn with another
// seed than the training shards; returns the paths, colour-major.
std::vector<std::string> write_colour_images(const std::string& dir, int per_colour);

}  // namespace clipforge::testing

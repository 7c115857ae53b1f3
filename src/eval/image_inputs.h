// The images a command is pointed at: files and folders on the command line become a sorted
// list of files, and a list of files becomes one normalised model-input batch. Shared by
// zeroshot, embed, score and rerank so they all skip bad files the same way.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <torch/types.h>

namespace clipforge {

// Files stay as given (a missing one is reported when it is loaded); folders are walked
// recursively and contribute their image files (by extension) in sorted order.
std::vector<std::string> expand_image_inputs(const std::vector<std::string>& inputs);

struct ImageBatch {
  torch::Tensor pixels;            // [kept, 3, size, size] float32, CLIP-normalised
  std::vector<std::string> paths;  // the files that decoded, in input order
  std::vector<size_t> indices;     // their positions in the input list
};

// Decodes and preprocesses `paths` in parallel with the bit-exact eval transform. A file that
// cannot be read or decoded, or whose header states more than `max_pixels` pixels (0 = no
// limit), is reported on `warnings` as one line and left out.
ImageBatch load_image_batch(const std::vector<std::string>& paths, int size, std::uint64_t max_pixels, std::ostream& warnings);

}  // namespace clipforge

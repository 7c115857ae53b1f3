// `clipforge plot`: PNG line charts of a run's metrics.jsonl (loss, learning rate, temperature,
// throughput, evaluation figures), drawn with OpenCV so no plotting stack is needed.
#pragma once

#include <string>
#include <vector>

namespace clipforge {

// Writes <run>/plots/*.png and returns their paths. Throws input_error when metrics.jsonl is
// missing or holds no step lines.
std::vector<std::string> plot_run(const std::string& run_dir);

}  // namespace clipforge

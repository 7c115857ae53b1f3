// `clipforge plot`: PNG line charts of a run's metrics.jsonl (loss, learning rate, temperature,
// throughput, evaluation figures), drawn with OpenCV so no plotting stack is needed.
//
// The log is read tolerantly: a run killed mid-write leaves a truncated last line, and logs from
// other versions may lack a field or hold a string where a number was expected. Such a line or
// field is left out of its chart and counted, never fatal.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace clipforge {

struct Series {
  std::string label;
  std::vector<double> x, y;  // step, value
};

struct MetricsLog {
  std::map<std::string, Series> steps;  // "loss", "lr", "temperature", "samples_per_s"
  std::map<std::string, Series> evals;  // "val_loss", "zero-shot top-1", "image->text R@1", "text->image R@1"
  // Lines that are not a JSON object with a numeric "step" (a truncated last line included), and
  // fields of the other lines that are missing or not numbers; the first of each, for messages.
  int skipped_lines = 0, skipped_fields = 0;
  std::string first_skipped_line, first_skipped_field;  // "line 7", "line 4: lr"
};

// Throws input_error when the file is missing.
MetricsLog read_metrics_log(const std::string& path);

struct PlotResult {
  std::vector<std::string> written;  // <run>/plots/*.png
  MetricsLog log;
};

// Writes <run>/plots/*.png. Throws input_error when metrics.jsonl is missing or holds no usable
// step line.
PlotResult plot_run(const std::string& run_dir);

// "RUN/metrics.jsonl: left out 1 line (line 7) and 2 fields (line 3: lr) that are missing or not
// numbers"; "" when nothing was left out.
std::string skipped_summary(const std::string& path, const MetricsLog& log);

}  // namespace clipforge

#include "train/plot.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/files.h"

namespace clipforge {
namespace {

std::string short_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, std::fabs(v) >= 1e-2 && std::fabs(v) < 1e4 ? "%.3g" : "%.1e", v);
  return text;
}

// One chart: axes with min/max tick labels, one coloured polyline per series, a legend.
void draw_chart(const std::string& path, const std::string& title, const std::string& x_label,
                const std::vector<Series>& series) {
  const int width = 900, height = 500, left = 90, right = 30, top = 50, bottom = 60;
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(255, 255, 255));
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (!std::isfinite(x0)) return;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + std::max(1e-9, std::fabs(y0) * 0.1);
  auto px = [&](double x) { return left + static_cast<int>((x - x0) / (x1 - x0) * (width - left - right)); };
  auto py = [&](double y) { return height - bottom - static_cast<int>((y - y0) / (y1 - y0) * (height - top - bottom)); };
  const cv::Scalar black(0, 0, 0), grey(200, 200, 200);
  for (int i = 0; i <= 4; ++i) {
    const double y = y0 + (y1 - y0) * i / 4;
    cv::line(image, {left, py(y)}, {width - right, py(y)}, grey, 1);
    cv::putText(image, short_number(y), {5, py(y) + 5}, cv::FONT_HERSHEY_SIMPLEX, 0.45, black, 1, cv::LINE_AA);
    const double x = x0 + (x1 - x0) * i / 4;
    cv::putText(image, short_number(x), {px(x) - 15, height - bottom + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.45, black, 1, cv::LINE_AA);
  }
  cv::rectangle(image, {left, top}, {width - right, height - bottom}, black, 1);
  cv::putText(image, title, {left, 30}, cv::FONT_HERSHEY_SIMPLEX, 0.7, black, 2, cv::LINE_AA);
  cv::putText(image, x_label, {width / 2 - 20, height - 15}, cv::FONT_HERSHEY_SIMPLEX, 0.5, black, 1, cv::LINE_AA);
  const cv::Scalar colours[] = {{180, 90, 30}, {40, 40, 200}, {40, 150, 40}, {150, 40, 150}, {0, 140, 220}, {90, 90, 90}};
  for (size_t k = 0; k < series.size(); ++k) {
    std::vector<cv::Point> points;
    for (size_t i = 0; i < series[k].x.size(); ++i)
      if (std::isfinite(series[k].y[i])) points.emplace_back(px(series[k].x[i]), py(series[k].y[i]));
    const cv::Scalar colour = colours[k % 6];
    if (points.size() == 1) cv::circle(image, points[0], 4, colour, cv::FILLED);
    cv::polylines(image, points, false, colour, 2, cv::LINE_AA);
    cv::putText(image, series[k].label, {width - right - 260, top + 20 + 20 * static_cast<int>(k)}, cv::FONT_HERSHEY_SIMPLEX,
                0.5, colour, 1, cv::LINE_AA);
  }
  if (!cv::imwrite(path, image)) throw runtime_error(path + ": cannot write PNG");
}

// Reads metrics.jsonl lines into series; what it cannot use is counted in the log, not thrown.
class LogReader {
 public:
  explicit LogReader(MetricsLog& log) : log_(log) {}

  void line(const std::string& text, std::size_t number) {
    line_ = number;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    const nlohmann::json* step = j.is_object() ? find(j, "step") : nullptr;
    if (step == nullptr || !step->is_number()) {
      if (log_.skipped_lines++ == 0) log_.first_skipped_line = "line " + std::to_string(number);
      return;
    }
    x_ = step->get<double>();
    if (const nlohmann::json* eval = find(j, "eval")) {
      read_eval(*eval);
      return;
    }
    for (const char* key : {"loss", "lr", "temperature", "samples_per_s"}) add(log_.steps, key, key, find(j, key));
  }

 private:
  // The member `key` of `j`, or null: operator[] on a const JSON with a missing key is undefined behaviour.
  static const nlohmann::json* find(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    const auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }

  // Evaluation parts are optional (no validation data, no zero-shot classes); only a part that
  // is there but malformed counts as skipped.
  void read_eval(const nlohmann::json& eval) {
    if (!eval.is_object()) return skip("eval");
    if (const nlohmann::json* loss = find(eval, "val_loss")) add(log_.evals, "val_loss", "eval.val_loss", loss);
    if (const nlohmann::json* zeroshot = find(eval, "zeroshot")) add(log_.evals, "zero-shot top-1", "eval.zeroshot.top1", find(*zeroshot, "top1"));
    if (const nlohmann::json* retrieval = find(eval, "retrieval")) {
      add(log_.evals, "image->text R@1", "eval.retrieval.image_to_text_R@1", find(*retrieval, "image_to_text_R@1"));
      add(log_.evals, "text->image R@1", "eval.retrieval.text_to_image_R@1", find(*retrieval, "text_to_image_R@1"));
    }
  }

  // Appends (step, value) to to[label] when value is a number; counts `field` as skipped otherwise.
  void add(std::map<std::string, Series>& to, const std::string& label, const std::string& field, const nlohmann::json* value) {
    if (value == nullptr || !value->is_number()) return skip(field);
    Series& s = to[label];
    s.label = label;
    s.x.push_back(x_);
    s.y.push_back(value->get<double>());
  }

  void skip(const std::string& field) {
    if (log_.skipped_fields++ == 0) log_.first_skipped_field = "line " + std::to_string(line_) + ": " + field;
  }

  MetricsLog& log_;
  std::size_t line_ = 0;
  double x_ = 0;
};

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

}  // namespace

MetricsLog read_metrics_log(const std::string& path) {
  if (!file_exists(path)) throw input_error(path + ": not found");
  MetricsLog log;
  LogReader reader(log);
  const std::vector<std::string> lines = read_lines(path);
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (lines[i].find_first_not_of(" \t") != std::string::npos) reader.line(lines[i], i + 1);
  return log;
}

std::string skipped_summary(const std::string& path, const MetricsLog& log) {
  if (log.skipped_lines == 0 && log.skipped_fields == 0) return "";
  std::string text = path + ": left out";
  if (log.skipped_lines > 0) text += " " + plural(log.skipped_lines, "line") + " (" + log.first_skipped_line + ")";
  if (log.skipped_lines > 0 && log.skipped_fields > 0) text += " and";
  if (log.skipped_fields > 0) text += " " + plural(log.skipped_fields, "field") + " (" + log.first_skipped_field + ")";
  return text + " that are not JSON, missing or not numbers";
}

PlotResult plot_run(const std::string& run_dir) {
  const std::string metrics = run_dir + "/metrics.jsonl";
  if (!file_exists(metrics)) throw input_error(metrics + ": not found (is " + run_dir + " a run folder?)");
  PlotResult result;
  result.log = read_metrics_log(metrics);
  auto& steps = result.log.steps;
  auto& evals = result.log.evals;
  if (steps.empty()) throw input_error(metrics + ": no step lines to plot");
  const std::string dir = run_dir + "/plots";
  std::filesystem::create_directories(dir);
  auto chart = [&](const std::string& file, const std::string& title, std::vector<Series> s) {
    if (s.empty() || s[0].x.empty()) return;
    draw_chart(dir + "/" + file, title, "step", s);
    result.written.push_back(dir + "/" + file);
  };
  chart("loss.png", "training loss", {steps["loss"]});
  chart("lr.png", "learning rate", {steps["lr"]});
  chart("temperature.png", "temperature (1 / exp(logit_scale))", {steps["temperature"]});
  chart("throughput.png", "samples/s", {steps["samples_per_s"]});
  if (evals.count("val_loss")) chart("val_loss.png", "validation loss", {evals["val_loss"]});
  std::vector<Series> scores;
  for (const char* key : {"zero-shot top-1", "image->text R@1", "text->image R@1"})
    if (evals.count(key)) scores.push_back(evals[key]);
  chart("eval.png", "evaluation", scores);
  return result;
}

}  // namespace clipforge

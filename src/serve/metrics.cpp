#include "serve/metrics.h"

#include <algorithm>
#include <cstdio>

namespace clipforge::serve {

namespace {
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

std::string with_label(const std::string& labels, const std::string& extra) {
  return "{" + labels + (labels.empty() ? "" : ",") + extra + "}";
}

const std::vector<double>& latency_bounds() {
  static const std::vector<double> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return bounds;
}

const std::vector<double>& batch_bounds() {
  static const std::vector<double> bounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  return bounds;
}
}  // namespace

void Histogram::observe(double value) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  if (bucket < counts_.size()) ++counts_[bucket];
  ++count_;
  sum_ += value;
}

void Histogram::write(std::string& out, const std::string& name, const std::string& labels) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket" + with_label(labels, "le=\"" + number(bounds_[i]) + "\"") + " " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket" + with_label(labels, "le=\"+Inf\"") + " " + std::to_string(count_) + "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics(std::function<int64_t()> queue_rows) : queue_rows_(std::move(queue_rows)) {}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{endpoint, status}];
}

void Metrics::observe_latency(const std::string& endpoint, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  latency_.try_emplace(endpoint, latency_bounds()).first->second.observe(seconds);
}

void Metrics::batch_done(const std::string& tower, int64_t rows) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_rows_.try_emplace(tower, batch_bounds()).first->second.observe(static_cast<double>(rows));
}

std::string Metrics::render() const {
  const int64_t queued = queue_rows_();
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out += "# HELP clipforge_requests_total Requests answered, by endpoint and HTTP status.\n";
  out += "# TYPE clipforge_requests_total counter\n";
  std::map<int, uint64_t> errors;
  for (const auto& [key, count] : requests_) {
    out += "clipforge_requests_total{endpoint=\"" + key.first + "\",code=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(count) + "\n";
    if (key.second >= 400) errors[key.second] += count;
  }
  out += "# HELP clipforge_errors_total Requests answered with a 4xx or 5xx status, by status.\n";
  out += "# TYPE clipforge_errors_total counter\n";
  for (const auto& [code, count] : errors)
    out += "clipforge_errors_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(count) + "\n";
  out += "# HELP clipforge_queue_rows Images and texts waiting for the model.\n";
  out += "# TYPE clipforge_queue_rows gauge\n";
  out += "clipforge_queue_rows " + std::to_string(queued) + "\n";
  out += "# HELP clipforge_batch_rows Rows per model call, by tower.\n";
  out += "# TYPE clipforge_batch_rows histogram\n";
  for (const auto& [tower, histogram] : batch_rows_) histogram.write(out, "clipforge_batch_rows", "tower=\"" + tower + "\"");
  out += "# HELP clipforge_request_duration_seconds Time from a request's body being read to its answer, by endpoint.\n";
  out += "# TYPE clipforge_request_duration_seconds histogram\n";
  for (const auto& [endpoint, histogram] : latency_)
    histogram.write(out, "clipforge_request_duration_seconds", "endpoint=\"" + endpoint + "\"");
  return out;
}

}  // namespace clipforge::serve

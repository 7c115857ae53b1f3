// What `clipforge serve` reports at GET /metrics, in Prometheus' text exposition format:
// requests and errors by status code, queue depth, model batch sizes and request latency.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace clipforge::serve {

// A Prometheus histogram: cumulative counts per upper bound, plus sum and count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}
  void observe(double value);
  // `name`_bucket/_sum/_count lines; `labels` is "" or `key="value",...` without braces.
  void write(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not yet cumulative
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Metrics {
 public:
  // `queue_rows` is read at each scrape.
  explicit Metrics(std::function<int64_t()> queue_rows);

  // Every answer, the server's own errors (404, 413 of an oversized body) included.
  void count_request(const std::string& endpoint, int status);
  // Time spent on a request routed to an endpoint.
  void observe_latency(const std::string& endpoint, double seconds);
  void batch_done(const std::string& tower, int64_t rows);

  std::string render() const;

 private:
  std::function<int64_t()> queue_rows_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (endpoint, status) -> count
  std::map<std::string, Histogram> latency_;                 // per endpoint
  std::map<std::string, Histogram> batch_rows_;              // per tower
};

}  // namespace clipforge::serve

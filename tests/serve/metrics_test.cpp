#include <catch2/catch.hpp>

#include "serve/metrics.h"

using namespace clipforge::serve;

TEST_CASE("metrics render Prometheus text with cumulative histogram buckets", "[serve][metrics]") {
  int64_t queued = 7;
  Metrics metrics([&] { return queued; });
  metrics.count_request("/v1/embed", 200);
  metrics.count_request("/v1/embed", 200);
  metrics.count_request("/v1/embed", 413);
  metrics.count_request("other", 404);
  metrics.observe_latency("/v1/embed", 0.003);
  metrics.observe_latency("/v1/embed", 0.2);
  metrics.batch_done("image", 3);
  metrics.batch_done("image", 32);
  const std::string text = metrics.render();
  CHECK_THAT(text, Catch::Contains("clipforge_requests_total{endpoint=\"/v1/embed\",code=\"200\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_errors_total{code=\"404\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_errors_total{code=\"413\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_queue_rows 7\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_batch_rows_bucket{tower=\"image\",le=\"2\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_batch_rows_bucket{tower=\"image\",le=\"4\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_batch_rows_bucket{tower=\"image\",le=\"32\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_batch_rows_sum{tower=\"image\"} 35\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_request_duration_seconds_bucket{endpoint=\"/v1/embed\",le=\"0.0025\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_request_duration_seconds_bucket{endpoint=\"/v1/embed\",le=\"0.005\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_request_duration_seconds_bucket{endpoint=\"/v1/embed\",le=\"+Inf\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("clipforge_request_duration_seconds_count{endpoint=\"/v1/embed\"} 2\n"));
}

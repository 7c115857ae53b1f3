#include "data/shards_check.h"

#include "data/loader.h"

namespace clipforge::data {

nlohmann::json check_shards(const CheckConfig& config) {
  LoaderConfig loader_config;
  loader_config.urls = config.urls;
  loader_config.workers = config.workers;
  loader_config.image_size = config.image_size;
  loader_config.train = false;
  loader_config.shuffle_buffer = 0;
  loader_config.drop_last = false;
  loader_config.batch_size = 16;
  loader_config.num_samples = 1;  // the check reads everything once: no need to size the epoch first
  loader_config.on_warning = config.on_warning;
  loader_config.csv = config.csv;
  loader_config.limits.max_image_pixels = config.max_image_pixels;
  Loader loader(loader_config);
  loader.start_epoch(0);
  while (loader.next()) {
  }
  const nlohmann::json report = loader.report();
  return {{"shards", loader.plan()["shards"]}, {"samples", report["samples"]}, {"ok", report["ok"]},
          {"skipped", report["skipped"]}, {"per_shard", report["shards"]}};
}

}  // namespace clipforge::data

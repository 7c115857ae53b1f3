#include "eval/shard_batches.h"

#include "data/pixel_normalize.h"

namespace clipforge {

nlohmann::json for_each_shard_batch(const ShardBatchOptions& options,
                                    const std::function<void(const torch::Tensor&, const data::Batch&)>& visit) {
  data::LoaderConfig config;
  config.urls = options.urls;
  config.image_size = options.image_size;
  config.train = false;
  config.shuffle_buffer = 0;
  config.drop_last = false;
  config.batch_size = options.batch_size;
  config.workers = options.workers;
  config.limits.max_image_pixels = options.max_image_pixels;
  config.csv = options.csv;
  data::Loader loader(config);
  const int64_t size = options.image_size, plane = size * size;
  while (auto batch = loader.next()) {
    torch::Tensor pixels = torch::empty({batch->size, 3, size, size});
    for (int i = 0; i < batch->size; ++i)
      data::normalize_pixels_chw(batch->images.data() + i * 3 * plane, plane, pixels.data_ptr<float>() + i * 3 * plane);
    visit(pixels, *batch);
  }
  return loader.report();
}

}  // namespace clipforge

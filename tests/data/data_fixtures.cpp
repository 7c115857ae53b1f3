#include "data/data_fixtures.h"

#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "support/reference.h"

namespace clipforge::testing {

std::string jpeg_bytes(int width, int height, int seed) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 7 + seed * 31) & 255),
                                            static_cast<uchar>((y * 5 + seed * 17) & 255),
                                            static_cast<uchar>((x * y + seed * 13) & 255));
    }
  }
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(jpeg.begin(), jpeg.end());
}

std::string write_dataset(const std::string& dir, int shards, int per_shard, data::Compression compression) {
  std::filesystem::create_directories(dir);
  const char* ext = compression == data::Compression::kGzip ? ".tar.gz" : compression == data::Compression::kZstd ? ".tar.zst" : ".tar";
  for (int s = 0; s < shards; ++s) {
    char name[32];
    std::snprintf(name, sizeof name, "/%05d%s", s, ext);
    data::TarWriter writer(dir + name, compression);
    for (int i = 0; i < per_shard; ++i) {
      char key[32];
      std::snprintf(key, sizeof key, "s%02d_%04d", s, i);
      writer.add(std::string(key) + ".jpg", jpeg_bytes(20, 16, s * 1000 + i));
      writer.add(std::string(key) + ".txt", std::string("caption ") + key);
      writer.add(std::string(key) + ".json", std::string("{\"key\": \"") + key + "\"}");
    }
    writer.commit();
  }
  char last[16];
  std::snprintf(last, sizeof last, "%05d", shards - 1);
  return dir + "/{00000.." + last + "}" + ext;
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = temp_dir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> epoch_keys(data::Loader& loader, int epoch) {
  loader.start_epoch(epoch);
  std::vector<std::string> keys;
  while (auto batch = loader.next()) keys.insert(keys.end(), batch->keys.begin(), batch->keys.end());
  return keys;
}

data::LoaderConfig test_config(const std::string& urls) {
  data::LoaderConfig config;
  config.urls = urls;
  config.image_size = 8;
  config.batch_size = 3;
  config.workers = 2;
  config.shuffle_buffer = 5;
  config.on_warning = nullptr;
  return config;
}

}  // namespace clipforge::testing

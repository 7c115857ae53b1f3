#include "data/data_fixtures.h"

#include <cstdint>
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

namespace {
void put_big32(std::string& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (24 - 8 * i));
}
void put_little(std::string& b, std::size_t at, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}
}  // namespace

std::string bomb_bytes(const std::string& ext, int width, int height) {
  const bool lossless = ext == ".webpl";
  std::vector<int> params;
  if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 90};  // lossy: VP8
  if (lossless) params = {cv::IMWRITE_WEBP_QUALITY, 101};       // over 100: lossless, VP8L
  std::vector<unsigned char> encoded;
  if (!cv::imencode(lossless ? ".webp" : ext, cv::Mat(8, 8, CV_8UC3, cv::Scalar(40, 80, 120)), encoded, params)) return "";
  std::string b(encoded.begin(), encoded.end());
  const auto w = static_cast<std::uint32_t>(width), h = static_cast<std::uint32_t>(height);
  if (ext == ".jpg") {
    // The first SOFn segment holds height then width, big-endian, after length and precision.
    for (std::size_t i = 2; i + 9 < b.size(); ++i) {
      const auto m = static_cast<unsigned char>(b[i + 1]);
      if (static_cast<unsigned char>(b[i]) == 0xFF && (m == 0xC0 || m == 0xC1 || m == 0xC2)) {
        b[i + 5] = static_cast<char>(h >> 8), b[i + 6] = static_cast<char>(h);
        b[i + 7] = static_cast<char>(w >> 8), b[i + 8] = static_cast<char>(w);
        break;
      }
    }
  } else if (ext == ".png") {
    put_big32(b, 16, w);  // IHDR; its CRC no longer matches, which nothing reads before the size
    put_big32(b, 20, h);
  } else if (ext == ".bmp") {
    put_little(b, 18, w, 4);
    put_little(b, 22, h, 4);
  } else if (b.compare(12, 4, "VP8L") == 0) {
    put_little(b, 21, ((w - 1) & 0x3fff) | ((h - 1) & 0x3fff) << 14 | (static_cast<unsigned char>(b[24]) >> 4 & 0xf) << 28, 4);
  } else if (b.compare(12, 4, "VP8 ") == 0) {
    put_little(b, 26, w & 0x3fff, 2);
    put_little(b, 28, h & 0x3fff, 2);
  }
  return b;
}

std::string webp_vp8x_bytes(int width, int height) {
  std::string b = "RIFF....WEBPVP8X";
  b += std::string("\x0a\0\0\0", 4);  // chunk size 10
  b += std::string(4, '\0');          // flags and reserved
  b += std::string(6, '\0');
  put_little(b, 24, static_cast<std::uint32_t>(width - 1), 3);
  put_little(b, 27, static_cast<std::uint32_t>(height - 1), 3);
  put_little(b, 4, static_cast<std::uint32_t>(b.size() - 8), 4);
  return b;
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

void write_shard_with_undecodable_image(const std::string& path) {
  data::TarWriter writer(path);
  writer.add("bad.jpg", "not a jpeg");
  writer.add("bad.txt", "caption");
  for (int i = 0; i < 3; ++i) {
    writer.add("b" + std::to_string(i) + ".jpg", jpeg_bytes(30, 20, 900 + i));
    writer.add("b" + std::to_string(i) + ".txt", "c");
  }
  writer.commit();
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

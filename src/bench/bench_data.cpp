#include "bench/bench_data.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "bench/report.h"
#include "core/error.h"
#include "data/decode.h"
#include "data/loader.h"
#include "data/tar_writer.h"
#include "data/transforms.h"

namespace clipforge::bench {
namespace {

namespace fs = std::filesystem;

// Two photo sizes common in web data sets (scripts/peer_bench.sh writes shards of the same two
// sizes to time OpenCLIP's PIL pipeline and this loader on the same files).
struct ImageSize {
  int width, height;
};
constexpr ImageSize kGeneratedSizes[] = {{640, 480}, {1024, 768}};

// Photo-like content (smooth shading, edges, fine texture) so that JPEG sizes and decode costs
// resemble real pictures rather than flat colour or pure noise.
std::string synthetic_photo(int width, int height, std::mt19937& rng) {
  cv::Mat image(height, width, CV_8UC3);
  const int hue = std::uniform_int_distribution<int>(0, 255)(rng);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>((x * 255 / width + hue) & 255),
                                            static_cast<uchar>(y * 255 / height), static_cast<uchar>((x + y + hue) / 8 & 255));
    }
  }
  std::uniform_int_distribution<int> px(0, std::max(width, height)), colour(0, 255);
  for (int i = 0; i < 40; ++i) {
    cv::circle(image, {px(rng) % width, px(rng) % height}, 5 + px(rng) % (width / 6),
               cv::Scalar(colour(rng), colour(rng), colour(rng)), -1, cv::LINE_AA);
  }
  cv::Mat noise(height, width, CV_8UC3);
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(12));
  cv::add(image, noise, image);
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(jpeg.begin(), jpeg.end());
}

struct GeneratedSet {
  std::string urls;
  std::vector<std::string> images;  // the same JPEGs, for the single-thread transform figure
};

GeneratedSet generate_set(const std::string& dir, int width, int height, int count) {
  fs::create_directories(dir);
  std::mt19937 rng(static_cast<unsigned>(width * 7 + height));
  GeneratedSet set;
  const int per_shard = 64;
  const int shards = (count + per_shard - 1) / per_shard;
  for (int s = 0; s < shards; ++s) {
    data::TarWriter writer(dir + "/" + std::to_string(s) + ".tar");
    for (int i = s * per_shard; i < std::min(count, (s + 1) * per_shard); ++i) {
      set.images.push_back(synthetic_photo(width, height, rng));
      const std::string key = "img" + std::to_string(i);
      writer.add(key + ".jpg", set.images.back());
      writer.add(key + ".txt", "a synthetic photo number " + std::to_string(i) + " with circles and noise");
    }
    writer.commit();
  }
  set.urls = dir + "/{0.." + std::to_string(shards - 1) + "}.tar";
  return set;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Images/s of reduced decode + train transform on this thread alone, without the loader.
double transform_rate(const std::vector<std::string>& images, int size) {
  std::vector<std::uint8_t> out(3 * static_cast<std::size_t>(size) * size);
  std::mt19937_64 rng(1);
  const auto start = std::chrono::steady_clock::now();
  for (const std::string& bytes : images) {
    data::DecodeOptions options;
    options.min_side = size;
    options.fast = true;
    data::train_transform(data::decode_rgb(bytes, options).rgb, size, 0.9, 1.0, rng, out.data());
  }
  return images.size() / seconds_since(start);
}

nlohmann::json loader_rates(const std::string& urls, const DataBenchConfig& config, const text::Tokenizer* tokenizer) {
  nlohmann::json rows = nlohmann::json::array();
  double one_thread = 0;
  for (int threads : config.threads) {
    data::LoaderConfig loader_config;
    loader_config.urls = urls;
    loader_config.image_size = config.image_size;
    loader_config.workers = threads;
    loader_config.batch_size = 32;
    loader_config.shuffle_buffer = 100;
    loader_config.tokenizer = tokenizer;
    loader_config.drop_last = false;
    loader_config.on_warning = nullptr;
    data::Loader loader(loader_config);
    std::vector<double> rates;
    for (int epoch = 0; epoch < config.epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      loader.start_epoch(epoch);
      std::int64_t samples = 0;
      while (auto batch = loader.next()) samples += batch->size;
      rates.push_back(samples / seconds_since(start));
    }
    const double rate = median(rates);
    if (threads == 1) one_thread = rate;
    nlohmann::json row = {{"threads", threads}, {"samples_per_s", rate}, {"per_thread", rate / threads}};
    if (one_thread > 0 && threads > 1) row["speedup_vs_1_thread"] = rate / one_thread;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

nlohmann::json run_data_benchmark(const DataBenchConfig& config) {
  if (config.threads.empty() || config.epochs <= 0) throw usage_error("bench data: need thread counts and epochs >= 1");
  std::unique_ptr<text::Tokenizer> tokenizer;
  if (!config.vocab_path.empty()) tokenizer = std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(config.vocab_path));
  nlohmann::json results = {{"image_size", config.image_size}, {"tokenised", tokenizer != nullptr},
                            {"transform", "train (reduced JPEG decode, random resized crop 0.9-1.0, bicubic)"}};
  if (!config.urls.empty()) {
    results["urls"] = config.urls;
    results["loader"] = loader_rates(config.urls, config, tokenizer.get());
    return results;
  }
  const fs::path root = fs::temp_directory_path() / ("clipforge_bench_data_" + std::to_string(::getpid()));
  nlohmann::json sets = nlohmann::json::array();
  try {
    for (const ImageSize& size : kGeneratedSizes) {
      const std::string name = std::to_string(size.width) + "x" + std::to_string(size.height);
      const GeneratedSet set = generate_set((root / name).string(), size.width, size.height, config.generated_images);
      const double single = transform_rate(set.images, config.image_size);
      sets.push_back({{"images", name},
                      {"count", set.images.size()},
                      {"decode_train_transform_1_thread", single},
                      {"loader", loader_rates(set.urls, config, tokenizer.get())}});
    }
  } catch (...) {
    fs::remove_all(root);
    throw;
  }
  fs::remove_all(root);
  results["generated"] = sets;
  return results;
}

}  // namespace clipforge::bench

#include "data/make_shards.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "data/csv_table.h"
#include "data/decode.h"
#include "data/tar_writer.h"

namespace clipforge::data {
namespace {

namespace fs = std::filesystem;

struct Pair {
  std::string image_path;
  std::string caption;
};

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".bmp";
}

std::vector<Pair> imagefolder_pairs(const std::string& folder) {
  if (!fs::is_directory(folder)) throw input_error(folder + ": not a folder");
  std::vector<fs::path> images;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file() && is_image_file(entry.path())) images.push_back(entry.path());
  }
  std::sort(images.begin(), images.end());
  std::vector<Pair> pairs;
  for (const fs::path& image : images) {
    fs::path caption_file = image;
    caption_file.replace_extension(".txt");
    std::string caption;
    if (fs::exists(caption_file)) {
      caption = read_file(caption_file.string());
      while (!caption.empty() && (caption.back() == '\n' || caption.back() == '\r')) caption.pop_back();
    } else {
      caption = image.parent_path().filename().string();
      std::replace(caption.begin(), caption.end(), '_', ' ');
    }
    pairs.push_back({image.string(), caption});
  }
  return pairs;
}

int digits(long long value) {
  int n = 1;
  while (value >= 10) {
    value /= 10;
    ++n;
  }
  return n;
}

std::string padded(long long value, int width) {
  std::string text = std::to_string(value);
  return std::string(std::max<int>(0, width - static_cast<int>(text.size())), '0') + text;
}

// JPEG bytes of the image, shrunk so that its longer side is at most max_side; empty when the
// file is not a decodable image (`failure` then says why).
std::string encode_for_shard(const std::string& bytes, const MakeShardsConfig& config, cv::Size& original, cv::Size& stored,
                             std::string& failure) {
  DecodeOptions options;
  options.max_pixels = config.max_image_pixels;
  DecodedImage image = decode_rgb(bytes, options);
  failure = decode_failure(image, options);
  if (image.status != DecodeStatus::kOk) return "";
  cv::Mat rgb = std::move(image.rgb);
  original = rgb.size();
  const int longer = std::max(rgb.cols, rgb.rows);
  if (config.max_side > 0 && longer > config.max_side) {
    const double f = static_cast<double>(config.max_side) / longer;
    cv::Size target(std::max(1, static_cast<int>(std::lround(rgb.cols * f))), std::max(1, static_cast<int>(std::lround(rgb.rows * f))));
    cv::resize(rgb, rgb, target, 0, 0, cv::INTER_AREA);
  }
  stored = rgb.size();
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> jpeg;
  cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, config.jpeg_quality});
  return std::string(jpeg.begin(), jpeg.end());
}

}  // namespace

nlohmann::json make_shards(const MakeShardsConfig& config) {
  if (config.csv.empty() == config.imagefolder.empty()) throw usage_error("shards make: give exactly one of --csv and --imagefolder");
  if (config.out.empty()) throw usage_error("shards make: --out is required");
  if (config.shard_size <= 0) throw usage_error("shards make: --shard-size must be positive");
  if (config.max_side < 0) throw usage_error("shards make: --max-side must be >= 0");

  std::vector<Pair> pairs;
  if (!config.csv.empty()) {
    for (CsvRow& row : read_csv_table(config.csv, config.csv_format).rows) pairs.push_back({std::move(row.image_path), std::move(row.caption)});
  } else {
    pairs = imagefolder_pairs(config.imagefolder);
  }
  fs::create_directories(config.out);

  const int index_width = std::max(4, digits(config.shard_size - 1));
  nlohmann::json sizes = nlohmann::json::object();
  std::unique_ptr<TarWriter> writer;
  std::string shard_name;
  long long shard = -1;
  int in_shard = 0;
  long long samples = 0, skipped = 0;
  const auto finish_shard = [&] {
    writer->commit();
    writer.reset();
    sizes[shard_name] = in_shard;
    const nlohmann::json stats = {{"count", in_shard}, {"successes", in_shard}};
    write_file_atomic(config.out + "/" + padded(shard, 5) + "_stats.json", stats.dump(1) + "\n");
  };
  for (const Pair& pair : pairs) {
    cv::Size original, stored;
    std::string jpeg, failure = "missing";
    if (file_exists(pair.image_path)) jpeg = encode_for_shard(read_file(pair.image_path), config, original, stored, failure);
    if (jpeg.empty()) {
      ++skipped;
      if (config.on_warning) config.on_warning("shards make: skipped " + pair.image_path + " (" + failure + ")");
      continue;
    }
    if (!writer) {
      ++shard;
      in_shard = 0;
      shard_name = padded(shard, 5) + ".tar";
      writer = std::make_unique<TarWriter>(config.out + "/" + shard_name);
    }
    const std::string key = padded(shard, 5) + padded(in_shard, index_width);
    const nlohmann::json meta = {{"key", key}, {"caption", pair.caption}, {"source", pair.image_path},
                                 {"width", stored.width}, {"height", stored.height}, {"original_width", original.width},
                                 {"original_height", original.height}, {"status", "success"}};
    writer->add(key + ".jpg", jpeg);
    writer->add(key + ".txt", pair.caption);
    writer->add(key + ".json", meta.dump());
    ++samples;
    if (++in_shard == config.shard_size) finish_shard();
  }
  if (writer) finish_shard();
  write_file_atomic(config.out + "/sizes.json", sizes.dump(1) + "\n");
  return {{"shards", shard + 1}, {"samples", samples}, {"skipped", skipped}, {"out", config.out}};
}

}  // namespace clipforge::data

#include "data/fashion_mnist.h"

#include <zlib.h>

#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "core/error.h"
#include "core/files.h"
#include "data/tar_writer.h"

namespace clipforge::data {
namespace fs = std::filesystem;

namespace {

std::string gunzip_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw input_error(path + ": cannot open (install dataset-fashion-mnist or pass --source)");
  std::string out;
  char buffer[1 << 16];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) out.append(buffer, n);
  const bool failed = n < 0;
  gzclose(file);
  if (failed) throw input_error(path + ": corrupt gzip data");
  return out;
}

uint32_t big_endian_u32(const std::string& bytes, size_t offset) {
  return (uint32_t(uint8_t(bytes[offset])) << 24) | (uint32_t(uint8_t(bytes[offset + 1])) << 16) |
         (uint32_t(uint8_t(bytes[offset + 2])) << 8) | uint32_t(uint8_t(bytes[offset + 3]));
}

// IDX: magic 0x00000803 (images: count, rows, cols) or 0x00000801 (labels: count), then bytes.
struct Idx {
  std::string bytes;
  uint32_t count = 0, rows = 1, cols = 1;
  size_t data_offset = 0;
};

Idx read_idx(const std::string& path, uint32_t magic) {
  Idx idx;
  idx.bytes = gunzip_file(path);
  const size_t header = magic == 0x803 ? 16 : 8;
  if (idx.bytes.size() < header || big_endian_u32(idx.bytes, 0) != magic)
    throw input_error(path + ": not an IDX file of the expected kind (magic at offset 0)");
  idx.count = big_endian_u32(idx.bytes, 4);
  if (magic == 0x803) {
    idx.rows = big_endian_u32(idx.bytes, 8);
    idx.cols = big_endian_u32(idx.bytes, 12);
  }
  idx.data_offset = header;
  if (idx.bytes.size() != header + uint64_t(idx.count) * idx.rows * idx.cols)
    throw input_error(path + ": size does not match its header (" + std::to_string(idx.count) + " items)");
  return idx;
}

std::string fill(const std::string& templ, const std::string& name) {
  std::string out = templ;
  const auto at = out.find("{}");
  if (at == std::string::npos) throw usage_error("template '" + templ + "' has no {}");
  return out.replace(at, 2, name);
}

nlohmann::json write_split(const FashionMnistConfig& c, const std::string& prefix, const std::string& dir, bool train) {
  const Idx images = read_idx(c.source + "/" + prefix + "-images-idx3-ubyte.gz", 0x803);
  const Idx labels = read_idx(c.source + "/" + prefix + "-labels-idx1-ubyte.gz", 0x801);
  if (images.count != labels.count) throw input_error(c.source + ": " + prefix + " images and labels differ in count");
  fs::create_directories(dir);
  std::mt19937_64 rng(c.seed);
  nlohmann::json sizes = nlohmann::json::object();
  std::unique_ptr<TarWriter> writer;
  int shards = 0, in_shard = 0;
  std::string shard_name;
  for (uint32_t i = 0; i < images.count; ++i) {
    if (!writer) {
      char name[16];
      std::snprintf(name, sizeof name, "%05d.tar", shards++);
      shard_name = name;
      writer = std::make_unique<TarWriter>(dir + "/" + shard_name);
      in_shard = 0;
    }
    const int label = uint8_t(labels.bytes[labels.data_offset + i]);
    if (label >= static_cast<int>(fashion_mnist_classes().size())) throw input_error(c.source + ": label out of range at item " + std::to_string(i));
    const std::string& name = fashion_mnist_classes()[label];
    cv::Mat pixels(images.rows, images.cols, CV_8UC1,
                   const_cast<char*>(images.bytes.data() + images.data_offset + size_t(i) * images.rows * images.cols));
    std::vector<uchar> png;
    cv::imencode(".png", pixels, png);
    char key[16];
    std::snprintf(key, sizeof key, "%06u", i);
    const std::string caption =
        train ? fill(c.train_templates[std::uniform_int_distribution<size_t>(0, c.train_templates.size() - 1)(rng)], name) : name;
    writer->add(std::string(key) + ".png", std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    writer->add(std::string(key) + ".txt", caption);
    writer->add(std::string(key) + ".json", nlohmann::json({{"label", label}, {"class", name}}).dump());
    if (++in_shard == c.shard_size || i + 1 == images.count) {
      writer->commit();
      writer.reset();
      sizes[shard_name] = in_shard;
    }
  }
  write_file_atomic(dir + "/sizes.json", sizes.dump(1) + "\n");
  return {{"dir", dir}, {"samples", images.count}, {"shards", shards}};
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                                 "sandal",  "shirt",    "sneaker",  "bag",   "ankle boot"};
  return names;
}

nlohmann::json write_fashion_mnist_shards(const FashionMnistConfig& c) {
  if (c.out.empty()) throw usage_error("--out is required");
  if (c.train_templates.empty()) throw usage_error("no training caption templates");
  nlohmann::json out;
  out["train"] = write_split(c, "train", c.out + "/train", true);
  out["test"] = write_split(c, "t10k", c.out + "/test", false);
  std::string classes;
  for (const auto& name : fashion_mnist_classes()) classes += name + "\n";
  write_file_atomic(c.out + "/classes.txt", classes);
  out["classes"] = c.out + "/classes.txt";
  return out;
}

}  // namespace clipforge::data

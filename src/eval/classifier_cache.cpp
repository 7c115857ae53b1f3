#include "eval/classifier_cache.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "model/safetensors.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {
// FNV-1a, 64 bit: stable across compilers and runs, unlike std::hash.
class Digest {
 public:
  void add(const std::string& field) {
    for (unsigned char c : field) mix(c);
    mix(0xff);  // field separator, so ("ab","c") and ("a","bc") differ
  }
  std::string hex() const {
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(state_));
    return out;
  }

 private:
  void mix(unsigned char c) { state_ = (state_ ^ c) * 0x100000001b3ULL; }
  uint64_t state_ = 0xcbf29ce484222325ULL;
};

std::string file_identity(const std::string& path) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  const auto size = fs::file_size(path, ec);
  const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
  return absolute.string() + "|" + std::to_string(ec ? 0 : size) + "|" + std::to_string(ec ? 0 : mtime);
}

constexpr const char* kTensorName = "classifier";
}  // namespace

std::string default_cache_dir() {
  if (const char* dir = std::getenv("CLIPFORGE_CACHE"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/clipforge";
}

std::string classifier_cache_key(const ClassifierSource& source, const std::vector<std::string>& classes,
                                 const std::vector<std::string>& templates) {
  Digest d;
  d.add("zeroshot-classifier-v1");
  d.add(source.model_config_json);
  d.add(file_identity(source.weights_path));
  d.add(file_identity(source.vocab_path));
  d.add(source.precision);
  d.add(std::to_string(classes.size()));
  for (const auto& c : classes) d.add(c);
  d.add(std::to_string(templates.size()));
  for (const auto& t : templates) d.add(t);
  return d.hex();
}

std::string ClassifierCache::path_of(const std::string& key) const { return dir_ + "/zeroshot/" + key + ".safetensors"; }

std::optional<torch::Tensor> ClassifierCache::load(const std::string& key, int64_t classes) const {
  const std::string path = path_of(key);
  if (!fs::exists(path)) return std::nullopt;
  try {
    const SafetensorsFile file = read_safetensors(path);
    for (const auto& [name, tensor] : file.tensors)
      if (name == kTensorName && tensor.dim() == 2 && tensor.size(0) == classes) return tensor.to(torch::kFloat);
  } catch (const std::exception&) {
    // a damaged file: fall through and recompute
  }
  return std::nullopt;
}

bool ClassifierCache::save(const std::string& key, const torch::Tensor& classifier) const {
  try {
    fs::create_directories(dir_ + "/zeroshot");
    write_safetensors(path_of(key), {{kTensorName, classifier.contiguous()}}, {});
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace clipforge

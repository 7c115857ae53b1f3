#include "eval/image_inputs.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "data/preprocess.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {
bool has_image_extension(const fs::path& path) {
  static const std::set<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"};
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return kExtensions.count(ext) > 0;
}
}  // namespace

std::vector<std::string> expand_image_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      files.push_back(input);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, ec))
      if (entry.is_regular_file(ec) && has_image_extension(entry.path())) found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

ImageBatch load_image_batch(const std::vector<std::string>& paths, int size, std::uint64_t max_pixels, std::ostream& warnings) {
  const int64_t n = static_cast<int64_t>(paths.size());
  const int64_t plane = 3LL * size * size;
  torch::Tensor pixels = torch::empty({n, 3, size, size}, torch::kFloat);
  std::vector<std::string> failures(paths.size());
  float* out = pixels.data_ptr<float>();
  // Decoding dominates for small models; one image per task keeps the cores busy.
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        const data::Preprocessed p = data::preprocess_file(paths[i], size, max_pixels);
        std::copy(p.tensor.begin(), p.tensor.end(), out + i * plane);
      } catch (const std::exception& e) {
        failures[i] = e.what();
        if (failures[i].empty()) failures[i] = paths[i] + ": cannot decode";
      }
    }
  });
  ImageBatch batch;
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < n; ++i) {
    if (failures[i].empty()) {
      kept.push_back(i);
      batch.paths.push_back(paths[i]);
      batch.indices.push_back(static_cast<size_t>(i));
    } else {
      warnings << "clipforge: warning: skipped image: " << failures[i] << "\n";
    }
  }
  batch.pixels = static_cast<int64_t>(kept.size()) == n ? pixels : pixels.index_select(0, torch::tensor(kept, torch::kLong));
  return batch;
}

}  // namespace clipforge

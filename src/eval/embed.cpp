#include "eval/embed.h"

#include <torch/torch.h>

#include <sstream>

#include "core/error.h"
#include "core/files.h"
#include "core/npy.h"
#include "eval/encoder.h"
#include "eval/image_inputs.h"

namespace clipforge {

torch::Tensor read_embeddings(const std::string& path) {
  npy::FloatMatrix m = npy::read_float_matrix(path);
  return torch::from_blob(m.values.data(), {m.rows, m.cols}, torch::kFloat).clone();
}

void write_embeddings(const std::string& path, const torch::Tensor& features, bool half) {
  const torch::Tensor values = features.to(half ? torch::kHalf : torch::kFloat).contiguous().cpu();
  npy::write(path, half ? npy::Dtype::kFloat16 : npy::Dtype::kFloat32, {values.size(0), values.size(1)}, values.data_ptr());
}

int64_t run_embed(const EmbedOptions& options, std::ostream& log) {
  if (options.images.empty() == options.texts.empty()) throw usage_error("embed: give either --images or --texts");
  if (options.out.empty()) throw usage_error("embed: --out is required");
  Encoder encoder(options.encoder);
  torch::Tensor features;
  std::vector<std::string> ids;
  if (!options.images.empty()) {
    const std::vector<std::string> paths = expand_image_inputs(options.images);
    if (paths.empty()) throw usage_error("embed: no images found in the given files and folders");
    EncodedImages encoded = encoder.encode_images(paths, log);
    features = encoded.features;
    ids = encoded.paths;
  } else {
    std::istringstream in(read_file(options.texts));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      ids.push_back(line);
    }
    if (ids.empty()) throw usage_error(options.texts + ": no texts (one per line)");
    features = encoder.encode_texts(ids, log);
  }
  write_embeddings(options.out, features, options.half);
  std::string listing;
  for (const auto& id : ids) listing += id + "\n";
  write_file_atomic(options.ids.empty() ? options.out + ".ids.txt" : options.ids, listing);
  return features.size(0);
}

}  // namespace clipforge

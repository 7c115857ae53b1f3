#include "model/config_infer.h"

#include <cmath>
#include <set>

#include "core/error.h"

namespace clipforge {
namespace {

class ShapeReader {
 public:
  ShapeReader(const std::map<std::string, torch::Tensor>& tensors, std::string source)
      : tensors_(tensors), source_(std::move(source)) {}

  int64_t dim(const std::string& key, int64_t index) const {
    auto it = tensors_.find(key);
    if (it == tensors_.end()) throw mismatch_error(source_ + ": cannot infer the model config: no '" + key + "' tensor");
    if (it->second.dim() <= index)
      throw mismatch_error(source_ + ": cannot infer the model config: '" + key + "' has too few dimensions");
    return it->second.size(index);
  }

  bool has(const std::string& key) const { return tensors_.count(key) > 0; }

  // Number of distinct N in keys "<prefix>N.<...>".
  int count_children(const std::string& prefix) const {
    std::set<std::string> ids;
    for (const auto& entry : tensors_) {
      const std::string& k = entry.first;
      if (k.rfind(prefix, 0) != 0) continue;
      ids.insert(k.substr(prefix.size(), k.find('.', prefix.size()) - prefix.size()));
    }
    return static_cast<int>(ids.size());
  }

 private:
  const std::map<std::string, torch::Tensor>& tensors_;
  std::string source_;
};

int square_root(int64_t n) { return static_cast<int>(std::lround(std::sqrt(static_cast<double>(n)))); }

}  // namespace

ModelConfig infer_model_config(const std::map<std::string, torch::Tensor>& tensors, const std::string& source) {
  ShapeReader r(tensors, source);
  ModelConfig c;
  c.quick_gelu = true;
  if (r.has("visual.proj")) {
    c.vision.width = static_cast<int>(r.dim("visual.conv1.weight", 0));
    c.vision.patch_size = static_cast<int>(r.dim("visual.conv1.weight", 3));
    c.vision.layers = {r.count_children("visual.transformer.resblocks.")};
    const int grid = square_root(r.dim("visual.positional_embedding", 0) - 1);
    c.vision.image_size = grid * c.vision.patch_size;
  } else {
    for (int stage = 1; stage <= 4; ++stage)
      c.vision.layers.push_back(r.count_children("visual.layer" + std::to_string(stage) + "."));
    c.vision.width = static_cast<int>(r.dim("visual.layer1.0.conv1.weight", 0));
    c.vision.image_size = square_root(r.dim("visual.attnpool.positional_embedding", 0) - 1) * 32;
  }
  c.embed_dim = static_cast<int>(r.dim("text_projection", 1));
  c.text.context_length = static_cast<int>(r.dim("positional_embedding", 0));
  c.text.vocab_size = static_cast<int>(r.dim("token_embedding.weight", 0));
  c.text.width = static_cast<int>(r.dim("ln_final.weight", 0));
  c.text.heads = std::max<int>(1, c.text.width / 64);
  c.text.layers = r.count_children("transformer.resblocks.");
  // Round-trip through the parser so an inferred config gets the same checks as a written one.
  return parse_model_config(model_config_to_json(c), source + " (inferred config)");
}

}  // namespace clipforge

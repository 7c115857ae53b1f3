// Zero-shot classifiers cached on disk, so a repeat run with the same model, weights, classes,
// templates and vocabulary never runs the text tower.
//
//   ClassifierCache cache(default_cache_dir());
//   std::string key = classifier_cache_key({config_json, weights, vocab, precision}, classes, templates);
//   if (auto hit = cache.load(key)) ...; else cache.save(key, computed);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

namespace clipforge {

// $CLIPFORGE_CACHE, else $HOME/.cache/clipforge.
std::string default_cache_dir();

struct ClassifierSource {
  std::string model_config_json;  // the resolved config, so a renamed config file still hits
  std::string weights_path;       // identified by path, size and modification time
  std::string vocab_path;         // likewise
  std::string precision;
};

// A hex digest of everything the classifier depends on.
std::string classifier_cache_key(const ClassifierSource& source, const std::vector<std::string>& classes,
                                 const std::vector<std::string>& templates);

class ClassifierCache {
 public:
  explicit ClassifierCache(std::string dir) : dir_(std::move(dir)) {}
  std::string path_of(const std::string& key) const;
  // nullopt when absent or unreadable (a damaged cache file is recomputed, not an error).
  std::optional<torch::Tensor> load(const std::string& key, int64_t classes) const;
  // Best effort: a read-only cache folder costs a recomputation next time, not the run.
  bool save(const std::string& key, const torch::Tensor& classifier) const;

 private:
  std::string dir_;
};

}  // namespace clipforge

#include "eval/zeroshot_run.h"

#include <torch/torch.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/classifier_cache.h"
#include "eval/image_inputs.h"
#include "eval/zeroshot.h"
#include "model/config.h"

namespace clipforge {

namespace {

torch::Tensor classifier_for(Encoder& encoder, const ZeroshotOptions& options, const std::vector<std::string>& classes,
                             const std::vector<std::string>& templates, ZeroshotSummary& summary, std::ostream& log) {
  if (!options.use_cache) return encoder.zeroshot_classifier(classes, templates);
  const ClassifierCache cache(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir);
  const std::string key = classifier_cache_key({model_config_to_json(encoder.loaded().config).dump(),
                                                options.encoder.weights, encoder.vocab_path(), options.encoder.precision},
                                               classes, templates);
  if (auto cached = cache.load(key, static_cast<int64_t>(classes.size()))) {
    summary.classifier_from_cache = true;
    log << "clipforge: classifier from cache " << cache.path_of(key) << " (text tower not run)\n";
    return *cached;
  }
  torch::Tensor classifier = encoder.zeroshot_classifier(classes, templates);
  log << "clipforge: classifier computed: " << classes.size() << " classes x " << templates.size() << " templates";
  log << (cache.save(key, classifier) ? ", cached in " + cache.path_of(key) : ", cache not writable") << "\n";
  return classifier;
}

void write_results(const std::vector<std::string>& paths, const torch::Tensor& logits, const std::vector<std::string>& classes,
                   int top_k, bool json, std::ostream& out) {
  const int64_t k = std::min<int64_t>(top_k, logits.size(1));
  const torch::Tensor probabilities = logits.softmax(1);
  const auto [top_probabilities, top_index] = probabilities.topk(k, 1);
  auto p = top_probabilities.accessor<float, 2>();
  auto index = top_index.accessor<int64_t, 2>();
  auto l = logits.accessor<float, 2>();
  for (size_t i = 0; i < paths.size(); ++i) {
    if (json) {
      nlohmann::json predictions = nlohmann::json::array();
      for (int64_t j = 0; j < k; ++j)
        predictions.push_back({{"label", classes[index[i][j]]}, {"probability", p[i][j]}, {"logit", l[i][index[i][j]]}});
      out << nlohmann::json{{"image", paths[i]}, {"predictions", predictions}}.dump() << "\n";
      continue;
    }
    out << paths[i] << "\n";
    for (int64_t j = 0; j < k; ++j) {
      char line[64];
      std::snprintf(line, sizeof line, "  %2lld. %7.3f%%  %8.3f  ", static_cast<long long>(j + 1), 100.0 * p[i][j],
                    l[i][index[i][j]]);
      out << line << classes[index[i][j]] << "\n";
    }
  }
  out.flush();
}

}  // namespace

ZeroshotSummary run_zeroshot(const ZeroshotOptions& options, std::ostream& out, std::ostream& log) {
  if (options.top_k <= 0) throw usage_error("--top-k must be positive");
  const std::vector<std::string> classes = read_class_names(options.classes);
  const std::vector<std::string> templates = resolve_templates(options.templates);
  validate_zeroshot_inputs(classes, templates);
  const std::vector<std::string> images = expand_image_inputs(options.inputs);
  if (images.empty()) throw usage_error("no images given (files or folders of images)");

  Encoder encoder(options.encoder);
  ZeroshotSummary summary;
  const torch::Tensor classifier = classifier_for(encoder, options, classes, templates, summary, log);
  const double scale = encoder.logit_scale();
  if (!options.json) out << "image\n  rank  probability  logit  label\n";
  const size_t step = static_cast<size_t>(options.encoder.batch_size);
  for (size_t start = 0; start < images.size(); start += step) {
    const std::vector<std::string> chunk(images.begin() + start, images.begin() + std::min(images.size(), start + step));
    const EncodedImages encoded = encoder.encode_images(chunk, log);
    summary.skipped += static_cast<int64_t>(chunk.size() - encoded.paths.size());
    if (encoded.paths.empty()) continue;
    write_results(encoded.paths, scale * encoded.features.matmul(classifier.t()), classes, options.top_k, options.json, out);
    summary.classified += static_cast<int64_t>(encoded.paths.size());
  }
  summary.text_tower_calls = encoder.text_tower_calls();
  if (summary.classified == 0) throw input_error("none of the " + std::to_string(images.size()) + " images could be read");
  return summary;
}

}  // namespace clipforge

#include "eval/zeroshot_run.h"

#include <torch/torch.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/classifier_cache.h"
#include "eval/image_inputs.h"
#include "eval/zeroshot.h"

namespace clipforge {

namespace {

torch::Tensor classifier_for(Encoder& encoder, const ZeroshotOptions& options, const std::vector<std::string>& classes,
                             const std::vector<std::string>& templates, ZeroshotSummary& summary, std::ostream& log) {
  if (!options.use_cache) return encoder.zeroshot_classifier(classes, templates);
  const ClassifierCache cache(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir);
  const std::string key = encoder.classifier_key(classes, templates);
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
  const nlohmann::json predictions = top_predictions(logits, classes, top_k);
  for (size_t i = 0; i < paths.size(); ++i) {
    if (json) {
      out << nlohmann::json{{"image", paths[i]}, {"predictions", predictions[i]}}.dump() << "\n";
      continue;
    }
    out << paths[i] << "\n";
    int rank = 0;
    for (const auto& p : predictions[i]) {
      char line[64];
      std::snprintf(line, sizeof line, "  %2d. %7.3f%%  %8.3f  ", ++rank, 100.0 * p["probability"].get<double>(),
                    p["logit"].get<double>());
      out << line << p["label"].get<std::string>() << "\n";
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

#include "eval/dataset_eval.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "eval/encoder.h"
#include "eval/image_inputs.h"
#include "eval/retrieval.h"
#include "eval/shard_batches.h"
#include "eval/zeroshot.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {

int label_in(const std::string& json_text, const std::vector<std::string>& classes) {
  if (json_text.empty()) return -1;
  const auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (!j.is_object() || !j.contains("label")) return -1;
  const auto& label = j["label"];
  if (label.is_number_integer()) {
    const int64_t index = label.get<int64_t>();
    return index >= 0 && index < static_cast<int64_t>(classes.size()) ? static_cast<int>(index) : -1;
  }
  if (label.is_string()) {
    const auto it = std::find(classes.begin(), classes.end(), label.get<std::string>());
    return it == classes.end() ? -1 : static_cast<int>(it - classes.begin());
  }
  return -1;
}

ShardBatchOptions shard_batches(const DatasetEvalOptions& options, int image_size) {
  return {options.data, image_size, options.encoder.batch_size, options.workers};
}

}  // namespace

nlohmann::json evaluate_zeroshot(const DatasetEvalOptions& options, std::ostream& log) {
  const std::vector<std::string> classes = read_class_names(options.classes);
  const std::vector<std::string> templates = resolve_templates(options.templates);
  validate_zeroshot_inputs(classes, templates);
  Encoder encoder(options.encoder);
  const torch::Tensor classifier = encoder.zeroshot_classifier(classes, templates);
  std::vector<torch::Tensor> features;
  std::vector<int64_t> labels;
  int64_t unlabelled = 0;
  if (fs::is_directory(options.data)) {
    for (size_t c = 0; c < classes.size(); ++c) {
      std::string folder = options.data + "/" + classes[c];
      if (!fs::is_directory(folder)) std::replace(folder.end() - classes[c].size(), folder.end(), ' ', '_');
      if (!fs::is_directory(folder)) {
        log << "clipforge: warning: " << options.data << ": no folder for class '" << classes[c] << "'\n";
        continue;
      }
      const EncodedImages encoded = encoder.encode_images(expand_image_inputs({folder}), log);
      features.push_back(encoded.features);
      labels.insert(labels.end(), encoded.paths.size(), static_cast<int64_t>(c));
    }
  } else {
    for_each_shard_batch(shard_batches(options, encoder.image_size()), [&](const torch::Tensor& pixels, const data::Batch& batch) {
      std::vector<int64_t> keep;
      for (int i = 0; i < batch.size; ++i) {
        const int label = label_in(batch.json[i], classes);
        if (label < 0) {
          ++unlabelled;
          continue;
        }
        keep.push_back(i);
        labels.push_back(label);
      }
      if (!keep.empty()) features.push_back(encoder.encode_pixels(pixels.index_select(0, torch::tensor(keep))));
    });
  }
  if (labels.empty()) throw input_error(options.data + ": no labelled images for the given classes");
  const torch::Tensor logits = encoder.logit_scale() * torch::cat(features).matmul(classifier.t());
  nlohmann::json metrics = classification_metrics(logits, torch::tensor(labels), classes);
  metrics["unlabelled_skipped"] = unlabelled;
  return metrics;
}

nlohmann::json evaluate_retrieval(const DatasetEvalOptions& options, std::ostream& log) {
  Encoder encoder(options.encoder);
  std::vector<torch::Tensor> images, texts;
  for_each_shard_batch(shard_batches(options, encoder.image_size()), [&](const torch::Tensor& pixels, const data::Batch& batch) {
    images.push_back(encoder.encode_pixels(pixels));
    texts.push_back(encoder.encode_texts(batch.captions, log));
  });
  if (images.empty()) throw input_error(options.data + ": no image-caption pairs");
  nlohmann::json metrics = retrieval_recall(torch::cat(images), torch::cat(texts));
  metrics["pairs"] = torch::cat(images).size(0);
  return metrics;
}

}  // namespace clipforge

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

ShardBatchOptions shard_batches(const DatasetEvalOptions& options, int image_size) {
  return {options.data, image_size, options.encoder.batch_size, options.workers, options.encoder.max_image_pixels, options.csv};
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
        const int label = sample_label(batch.json[i], classes);
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

#include "train/evaluate.h"

#include <torch/torch.h>

#include "eval/retrieval.h"
#include "eval/zeroshot.h"
#include "train/batch_tensors.h"
#include "train/loss.h"

namespace clipforge {

nlohmann::json evaluate(CLIP& model, data::Loader& loader, const text::Tokenizer& tokenizer, const EvalInputs& inputs,
                        const c10::Device& device) {
  const bool was_training = model->is_training();
  model->eval();
  torch::NoGradGuard no_grad;
  const ModelConfig& config = model->config();
  std::vector<torch::Tensor> images, texts;
  std::vector<int64_t> labels;
  double loss_sum = 0;
  int64_t loss_samples = 0;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    BatchTensors t = to_tensors(*batch, config.vision.image_size, config.text.context_length, device);
    auto [image_features, text_features, scale] = model->forward(t.images, t.tokens);
    loss_sum += clip_loss(image_features, text_features, scale).item<double>() * batch->size;
    loss_samples += batch->size;
    images.push_back(image_features.to(torch::kCPU));
    texts.push_back(text_features.to(torch::kCPU));
    for (const auto& j : batch->json) labels.push_back(sample_label(j, inputs.classes));
  }
  nlohmann::json out;
  if (loss_samples == 0) {
    out["samples"] = 0;
  } else {
    torch::Tensor all_images = torch::cat(images), all_texts = torch::cat(texts);
    out["samples"] = loss_samples;
    out["val_loss"] = loss_sum / static_cast<double>(loss_samples);
    out["retrieval"] = retrieval_recall(all_images, all_texts);
    if (!inputs.classes.empty()) {
      torch::Tensor label_tensor = torch::tensor(labels, torch::kLong);
      torch::Tensor keep = label_tensor.ge(0).nonzero().squeeze(1);
      if (keep.numel() > 0) {
        torch::Tensor classifier = zeroshot_classifier(model, tokenizer, inputs.classes, inputs.templates).to(torch::kCPU);
        torch::Tensor logits = model->logit_scale.exp().to(torch::kCPU) * all_images.index_select(0, keep).matmul(classifier.t());
        out["zeroshot"] = classification_metrics(logits, label_tensor.index_select(0, keep), inputs.classes);
      }
    }
  }
  model->train(was_training);
  return out;
}

}  // namespace clipforge

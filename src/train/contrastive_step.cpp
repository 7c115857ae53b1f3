#include "train/contrastive_step.h"

#include <torch/torch.h>

#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "model/torch_compat.h"
#include "train/loss.h"

namespace clipforge {
namespace {

// Autocast for the forward pass only; backward follows the recorded dtypes.
class AutocastScope {
 public:
  AutocastScope(Precision precision, bool cuda) : active_(precision != Precision::kFp32), saved_(AutocastState::current()) {
    if (!active_) return;
    if (cuda) {
      set_autocast(c10::DeviceType::CUDA, true, precision == Precision::kAmp ? at::kHalf : at::kBFloat16);
    } else {
      set_autocast(c10::DeviceType::CPU, true, at::kBFloat16);
    }
  }
  ~AutocastScope() {
    if (!active_) return;
    saved_.apply();
    at::autocast::clear_cache();
  }

 private:
  bool active_;
  AutocastState saved_;
};

// Every rank's rows in rank order, this rank's being `local` itself.
torch::Tensor gather(const torch::Tensor& local, DistGroup& group, bool with_grad) {
  if (with_grad) return group.all_gather_with_grad(local);
  torch::Tensor all = group.all_gather(local);
  const int64_t rows = local.size(0), offset = group.rank() * rows;
  return torch::cat({all.narrow(0, 0, offset), local, all.narrow(0, offset + rows, all.size(0) - offset - rows)});
}

// The loss of `image_features` / `text_features` (this rank's rows) against the global batch.
torch::Tensor global_batch_loss(const torch::Tensor& image_features, const torch::Tensor& text_features,
                                const torch::Tensor& scale, const StepDistribution& d) {
  if (d.group == nullptr) return clip_loss(image_features, text_features, scale);
  return clip_loss(image_features, text_features, scale, gather(image_features, *d.group, d.gather_with_grad),
                   gather(text_features, *d.group, d.gather_with_grad), d.group->rank() * image_features.size(0));
}

}  // namespace

double contrastive_backward(CLIP& model, const std::vector<torch::Tensor>& images,
                            const std::vector<torch::Tensor>& tokens, Precision precision, double loss_scale,
                            const StepDistribution& distribution) {
  TORCH_CHECK(!images.empty() && images.size() == tokens.size(), "contrastive_backward: mismatched micro-batches");
  const bool cuda = images[0].is_cuda();
  if (images.size() == 1) {
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, cuda);
      auto [image_features, text_features, scale] = model->forward(images[0], tokens[0]);
      loss = global_batch_loss(image_features, text_features, scale, distribution);
    }
    if (distribution.sync) distribution.sync->arm();
    (loss * loss_scale).backward();
    return loss.item<double>();
  }

  std::vector<torch::Tensor> cached_images, cached_texts;
  {
    torch::NoGradGuard no_grad;
    AutocastScope autocast(precision, cuda);
    for (size_t j = 0; j < images.size(); ++j) {
      auto [image_features, text_features, scale] = model->forward(images[j], tokens[j]);
      cached_images.push_back(image_features);
      cached_texts.push_back(text_features);
    }
  }
  double total_loss = 0;
  for (size_t j = 0; j < images.size(); ++j) {
    const bool last = j + 1 == images.size();
    torch::Tensor loss;
    {
      AutocastScope autocast(precision, cuda);
      std::vector<torch::Tensor> all_images = cached_images, all_texts = cached_texts;
      all_images[j] = l2_normalize(model->encode_image(images[j]));
      all_texts[j] = l2_normalize(model->encode_text(tokens[j]));
      torch::Tensor scale = last ? model->logit_scale.exp() : model->logit_scale.exp().detach();
      loss = global_batch_loss(torch::cat(all_images), torch::cat(all_texts), scale, distribution);
    }
    if (last && distribution.sync) distribution.sync->arm();
    (loss * loss_scale).backward();
    total_loss = loss.item<double>();  // the same whole-batch value in every pass, up to rounding
  }
  return total_loss;
}

}  // namespace clipforge

// The CLIP model: an image tower (ViT or ModifiedResNet) and a text transformer projecting into
// one embedding space, with a learned temperature. Parameter names are OpenAI's and OpenCLIP's
// state-dict keys by construction, so checkpoints map 1:1.
//
//   CLIP model(load_model_config("ViT-B-32"));
//   auto [image_features, text_features, logit_scale] = model->forward(images, tokens);
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/pimpl.h>

#include <tuple>

#include "model/config.h"
#include "model/modified_resnet.h"
#include "model/transformer.h"
#include "model/vision_transformer.h"

namespace clipforge {

class CLIPImpl : public torch::nn::Module {
 public:
  explicit CLIPImpl(const ModelConfig& config);

  // images: [batch, 3, image_size, image_size] float -> [batch, embed_dim], projected, not normalised.
  torch::Tensor encode_image(const torch::Tensor& images);
  // tokens: [batch, <= context_length] integer ids, end-of-text being the row's highest id
  // -> [batch, embed_dim], projected, not normalised.
  torch::Tensor encode_text(const torch::Tensor& tokens);
  // L2-normalised image and text features and exp(logit_scale).
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> forward(const torch::Tensor& images,
                                                                  const torch::Tensor& tokens);

  const ModelConfig& config() const { return config_; }

  // Activation checkpointing for the transformer towers (the text tower and a ViT image tower).
  void set_grad_checkpointing(bool enabled);

  // Registration order below is OpenAI's state_dict order.
  torch::Tensor positional_embedding;  // [context_length, text width]
  torch::Tensor text_projection;       // [text width, embed_dim]
  torch::Tensor logit_scale;           // [] = ln(1 / temperature)
  VisionTransformer visual_vit{nullptr};   // registered as "visual" when the config is a ViT
  ModifiedResNet visual_resnet{nullptr};   // registered as "visual" when the config is a ResNet
  Transformer transformer{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  torch::nn::LayerNorm ln_final{nullptr};

 private:
  void initialize_text_parameters();

  ModelConfig config_;
};
TORCH_MODULE(CLIP);

// Each row (last dimension) scaled to unit L2 norm: the shared embedding space's normalisation
// (not the pixel mean/std normalisation of data/pixel_normalize.h).
torch::Tensor l2_normalize(const torch::Tensor& x);

// exp(logit_scale) * normalised image features x normalised text features^T: [images, texts].
torch::Tensor clip_logits(const torch::Tensor& image_features, const torch::Tensor& text_features,
                          const torch::Tensor& logit_scale);

}  // namespace clipforge

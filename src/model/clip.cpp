#include "model/clip.h"

#include <torch/nn/functional/normalization.h>
#include <torch/nn/init.h>

#include <cmath>

namespace clipforge {
torch::Tensor l2_normalize(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

CLIPImpl::CLIPImpl(const ModelConfig& c) : config_(c) {
  const TextConfig& t = c.text;
  positional_embedding = register_parameter("positional_embedding", torch::empty({t.context_length, t.width}));
  text_projection = register_parameter("text_projection", torch::empty({t.width, c.embed_dim}));
  logit_scale = register_parameter("logit_scale", torch::full({}, std::log(1.0 / 0.07)));
  if (c.vision.is_resnet()) {
    visual_resnet = register_module("visual", ModifiedResNet(c.vision, c.embed_dim));
  } else {
    visual_vit = register_module("visual", VisionTransformer(c.vision, c.embed_dim, c.quick_gelu));
  }
  TransformerOptions o;
  o.width = t.width;
  o.layers = t.layers;
  o.heads = t.heads;
  o.mlp_ratio = t.mlp_ratio;
  o.quick_gelu = c.quick_gelu;
  transformer = register_module("transformer", Transformer(o));
  token_embedding = register_module("token_embedding", torch::nn::Embedding(t.vocab_size, t.width));
  ln_final = register_module("ln_final", make_layer_norm(t.width));
  initialize_text_parameters();
}

// The released CLIP code's initialisation of the text side: small embeddings and
// depth-scaled residual projections so a freshly built model trains stably from scratch.
void CLIPImpl::initialize_text_parameters() {
  namespace init = torch::nn::init;
  torch::NoGradGuard no_grad;
  init::normal_(token_embedding->weight, 0.0, 0.02);
  init::normal_(positional_embedding, 0.0, 0.01);
  const double width = config_.text.width;
  const double proj_std = std::pow(width, -0.5) * std::pow(2.0 * config_.text.layers, -0.5);
  const double attn_std = std::pow(width, -0.5);
  const double fc_std = std::pow(2.0 * width, -0.5);
  for (auto& block : transformer->blocks()) {
    init::normal_(block->attn->in_proj_weight, 0.0, attn_std);
    init::normal_(block->attn->out_proj->weight, 0.0, proj_std);
    init::normal_(block->mlp->c_fc->weight, 0.0, fc_std);
    init::normal_(block->mlp->c_proj->weight, 0.0, proj_std);
  }
  init::normal_(text_projection, 0.0, attn_std);
}

void CLIPImpl::set_grad_checkpointing(bool enabled) {
  transformer->set_grad_checkpointing(enabled);
  if (visual_vit) visual_vit->transformer->set_grad_checkpointing(enabled);
}

torch::Tensor CLIPImpl::encode_image(const torch::Tensor& images) {
  return visual_vit ? visual_vit(images) : visual_resnet(images);
}

torch::Tensor CLIPImpl::encode_text(const torch::Tensor& tokens) {
  TORCH_CHECK(tokens.dim() == 2, "encode_text expects [batch, tokens], got ", tokens.sizes());
  TORCH_CHECK(tokens.size(1) <= config_.text.context_length, "encode_text: ", tokens.size(1),
              " tokens exceed the context length ", config_.text.context_length);
  // Features are read at the end-of-text position (the row's highest id). Under the causal
  // mask no position depends on later ones, so columns after the last end-of-text in the
  // batch cannot change the result: drop them. Short captions then cost a fraction of 77.
  torch::Tensor eot = tokens.argmax(-1);  // [batch]
  const int64_t used = eot.max().item<int64_t>() + 1;
  torch::Tensor ids = tokens.narrow(1, 0, used).to(torch::kLong);
  torch::Tensor x = token_embedding(ids) + positional_embedding.narrow(0, 0, used);  // [batch, used, width]
  x = transformer(x, /*causal=*/true);
  x = layer_norm_fp32(ln_final, x);
  x = x.index({torch::arange(x.size(0), eot.options()), eot});  // [batch, width]
  return torch::matmul(x, text_projection);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> CLIPImpl::forward(const torch::Tensor& images,
                                                                          const torch::Tensor& tokens) {
  return {l2_normalize(encode_image(images)), l2_normalize(encode_text(tokens)), logit_scale.exp()};
}

torch::Tensor clip_logits(const torch::Tensor& image_features, const torch::Tensor& text_features,
                          const torch::Tensor& logit_scale) {
  return logit_scale.exp() * torch::matmul(l2_normalize(image_features), l2_normalize(text_features).t());
}

}  // namespace clipforge

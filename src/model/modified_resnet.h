// CLIP's ModifiedResNet image tower: a 3-conv stem with average pooling, Bottleneck stages
// whose strided blocks downsample by average pooling (anti-aliasing) instead of strided convs,
// and an attention-pooling head (AttentionPool2d) in place of global average pooling.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "model/config.h"

namespace clipforge {

// OpenAI's `downsample` Sequential: AvgPool (key "-1", no parameters), conv ("0"), bn ("1").
class DownsampleImpl : public torch::nn::Module {
 public:
  DownsampleImpl(int64_t inplanes, int64_t outplanes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t stride_;
  torch::nn::Conv2d conv_{nullptr};    // registered as "0"
  torch::nn::BatchNorm2d bn_{nullptr};  // registered as "1"
};
TORCH_MODULE(Downsample);

class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  Downsample downsample{nullptr};

 private:
  int64_t stride_;
};
TORCH_MODULE(Bottleneck);

class AttentionPool2dImpl : public torch::nn::Module {
 public:
  AttentionPool2dImpl(int64_t spatial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim);

  // x: [batch, embed_dim, spatial, spatial] -> [batch, output_dim]. The spatial mean is
  // prepended as token 0 and is the only query; all tokens are keys and values.
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor positional_embedding;  // [spatial^2 + 1, embed_dim]
  torch::nn::Linear k_proj{nullptr}, q_proj{nullptr}, v_proj{nullptr}, c_proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(AttentionPool2d);

class ModifiedResNetImpl : public torch::nn::Module {
 public:
  ModifiedResNetImpl(const VisionConfig& config, int64_t output_dim);

  // images: [batch, 3, image_size, image_size] -> [batch, output_dim]
  torch::Tensor forward(const torch::Tensor& images);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  AttentionPool2d attnpool{nullptr};
};
TORCH_MODULE(ModifiedResNet);

}  // namespace clipforge

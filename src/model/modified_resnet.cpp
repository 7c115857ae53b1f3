#include "model/modified_resnet.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/init.h>

#include <cmath>

#include "model/attention.h"
#include "model/torch_compat.h"
#include "model/linear.h"

namespace clipforge {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t padding = 0, int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(padding).stride(stride).bias(false));
}

torch::nn::BatchNorm2d batch_norm(int64_t channels) {
  return torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels).eps(1e-5));
}

torch::Tensor avg_pool(const torch::Tensor& x, int64_t stride) {
  return stride > 1 ? torch::nn::functional::avg_pool2d(x, torch::nn::functional::AvgPool2dFuncOptions(stride)) : x;
}

// In eval mode BatchNorm is a fixed per-channel affine map, so it folds into the convolution's
// weight and bias. Folding costs a pass over the weights, BatchNorm a pass over the outputs: fold
// where the outputs are the larger (all but the deepest layers at batch 64, few at batch 1). The
// folded weight stays differentiable, so fine-tuning with frozen statistics still reaches the conv
// and BatchNorm parameters.
torch::Tensor conv_bn(const torch::Tensor& x, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
  const int64_t stride = (*conv->options.stride())[0];
  const int64_t outputs_per_channel = x.size(0) * (x.size(2) / stride) * (x.size(3) / stride);
  if (bn->is_training() || outputs_per_channel < conv->weight.numel() / conv->weight.size(0)) return bn(conv(x));
  namespace F = torch::nn::functional;
  const torch::Tensor scale = bn->weight * torch::rsqrt(bn->running_var + bn->options.eps());
  const torch::Tensor weight = conv->weight * scale.view({-1, 1, 1, 1});
  const torch::Tensor bias = bn->bias - bn->running_mean * scale;
  return F::conv2d(x, weight,
                   F::Conv2dFuncOptions().bias(bias).stride(conv->options.stride()).padding(conv->options.padding()));
}

}  // namespace

DownsampleImpl::DownsampleImpl(int64_t inplanes, int64_t outplanes, int64_t stride) : stride_(stride) {
  conv_ = register_module("0", conv(inplanes, outplanes, 1));
  bn_ = register_module("1", batch_norm(outplanes));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) { return conv_bn(avg_pool(x, stride_), conv_, bn_); }

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride) : stride_(stride) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", batch_norm(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, 1));
  bn2 = register_module("bn2", batch_norm(planes));
  conv3 = register_module("conv3", conv(planes, planes * kExpansion, 1));
  bn3 = register_module("bn3", batch_norm(planes * kExpansion));
  if (stride > 1 || inplanes != planes * kExpansion)
    downsample = register_module("downsample", Downsample(inplanes, planes * kExpansion, stride));
  // CLIP zero-initialises the last BatchNorm gain so each block starts as the identity.
  torch::NoGradGuard no_grad;
  bn3->weight.zero_();
}

// In-place ReLU and residual add are safe under autograd here: neither convolution nor BatchNorm
// keeps its output for the backward pass.
torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = conv_bn(x, conv1, bn1).relu_();
  out = conv_bn(out, conv2, bn2).relu_();
  out = conv_bn(avg_pool(out, stride_), conv3, bn3);
  return out.add_(downsample ? downsample(x) : x).relu_();
}

AttentionPool2dImpl::AttentionPool2dImpl(int64_t spatial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim)
    : heads_(heads) {
  positional_embedding = register_parameter(
      "positional_embedding",
      torch::randn({spatial_dim * spatial_dim + 1, embed_dim}) / std::sqrt(static_cast<double>(embed_dim)));
  k_proj = register_module("k_proj", torch::nn::Linear(embed_dim, embed_dim));
  q_proj = register_module("q_proj", torch::nn::Linear(embed_dim, embed_dim));
  v_proj = register_module("v_proj", torch::nn::Linear(embed_dim, embed_dim));
  c_proj = register_module("c_proj", torch::nn::Linear(embed_dim, output_dim));
  const double std = 1.0 / std::sqrt(static_cast<double>(embed_dim));
  torch::NoGradGuard no_grad;
  for (auto* linear : {&q_proj, &k_proj, &v_proj, &c_proj}) torch::nn::init::normal_((*linear)->weight, 0.0, std);
}

torch::Tensor AttentionPool2dImpl::forward(const torch::Tensor& input) {
  const int64_t batch = input.size(0), channels = input.size(1);
  const int64_t head_dim = channels / heads_;
  torch::Tensor x = input.flatten(2).transpose(1, 2);                   // [batch, hw, channels]
  x = torch::cat({x.mean(1, /*keepdim=*/true), x}, 1);                  // [batch, 1 + hw, channels]
  x = x + positional_embedding.to(x.scalar_type());
  const int64_t tokens = x.size(1);
  auto heads = [&](const torch::Tensor& t, int64_t n) { return t.view({batch, n, heads_, head_dim}).transpose(1, 2); };
  torch::Tensor q = heads(linear(x.narrow(1, 0, 1), q_proj), 1);        // [batch, heads, 1, head_dim]
  torch::Tensor k = heads(linear(x, k_proj), tokens);                   // [batch, heads, 1 + hw, head_dim]
  torch::Tensor v = heads(linear(x, v_proj), tokens);
  torch::Tensor out = attention(q, k, v, /*causal=*/false);                  // [batch, heads, 1, head_dim]
  return linear(out.transpose(1, 2).reshape({batch, channels}), c_proj);
}

ModifiedResNetImpl::ModifiedResNetImpl(const VisionConfig& c, int64_t output_dim) {
  const int64_t width = c.width;
  conv1 = register_module("conv1", conv(3, width / 2, 3, 1, 2));
  bn1 = register_module("bn1", batch_norm(width / 2));
  conv2 = register_module("conv2", conv(width / 2, width / 2, 3, 1));
  bn2 = register_module("bn2", batch_norm(width / 2));
  conv3 = register_module("conv3", conv(width / 2, width, 3, 1));
  bn3 = register_module("bn3", batch_norm(width));

  int64_t inplanes = width;
  auto make_layer = [&](int64_t planes, int64_t blocks, int64_t stride) {
    torch::nn::Sequential layer;
    layer->push_back(Bottleneck(inplanes, planes, stride));
    inplanes = planes * BottleneckImpl::kExpansion;
    for (int64_t i = 1; i < blocks; ++i) layer->push_back(Bottleneck(inplanes, planes, 1));
    return layer;
  };
  layer1 = register_module("layer1", make_layer(width, c.layers[0], 1));
  layer2 = register_module("layer2", make_layer(width * 2, c.layers[1], 2));
  layer3 = register_module("layer3", make_layer(width * 4, c.layers[2], 2));
  layer4 = register_module("layer4", make_layer(width * 8, c.layers[3], 2));
  const int64_t embed_dim = width * 32;
  attnpool = register_module("attnpool", AttentionPool2d(c.image_size / 32, embed_dim, c.heads(), output_dim));
}

torch::Tensor ModifiedResNetImpl::forward(const torch::Tensor& images) {
  torch::Tensor x = images.to(conv1->weight.scalar_type());
  // oneDNN's CPU convolutions work channels-last; handing them NCHW costs a layout conversion
  // in and out of every convolution.
  if (x.is_cpu()) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  x = conv_bn(x, conv1, bn1).relu_();
  x = conv_bn(x, conv2, bn2).relu_();
  x = conv_bn(x, conv3, bn3).relu_();
  x = avg_pool(x, 2);
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  return attnpool(x);
}

}  // namespace clipforge

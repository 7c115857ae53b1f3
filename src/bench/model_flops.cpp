#include "bench/model_flops.h"

namespace clipforge::bench {
namespace {

// Pre-norm blocks over `n` tokens of width `w`: q/k/v/out projections (8 w^2 per token), the
// two MLP matmuls (4 r w^2 per token), attention scores and the weighted sum (4 n w per token).
double transformer_flops(double n, double w, double layers, double mlp_ratio) {
  const double per_layer = 2 * n * (4 * w * w + 2 * mlp_ratio * w * w) + 2 * 2 * n * n * w;
  return layers * per_layer;
}

double conv_flops(double out_h, double out_w, double in_c, double out_c, double k) {
  return 2 * out_h * out_w * in_c * out_c * k * k;
}

}  // namespace

double image_forward_flops(const ModelConfig& c) {
  const VisionConfig& v = c.vision;
  if (!v.is_resnet()) {
    const double grid = v.image_size / v.patch_size;
    const double n = grid * grid + 1;
    return conv_flops(grid, grid, 3, v.width, v.patch_size) + transformer_flops(n, v.width, v.layers[0], v.mlp_ratio) +
           2.0 * v.width * c.embed_dim;
  }
  // ModifiedResNet: stem, Bottleneck stages, attention pool.
  double s = v.image_size / 2.0, flops = 0;
  const double w = v.width;
  flops += conv_flops(s, s, 3, w / 2, 3) + conv_flops(s, s, w / 2, w / 2, 3) + conv_flops(s, s, w / 2, w, 3);
  s /= 2;
  double inplanes = w;
  for (int stage = 0; stage < 4; ++stage) {
    const double planes = w * (1 << stage);
    for (int b = 0; b < v.layers[stage]; ++b) {
      const double out_s = (stage > 0 && b == 0) ? s / 2 : s;
      flops += conv_flops(s, s, inplanes, planes, 1) + conv_flops(s, s, planes, planes, 3) +
               conv_flops(out_s, out_s, planes, planes * 4, 1);
      if (b == 0) flops += conv_flops(out_s, out_s, inplanes, planes * 4, 1);
      s = out_s;
      inplanes = planes * 4;
    }
  }
  const double embed = w * 32, tokens = s * s + 1;
  flops += 2 * embed * embed * (1 + 2 * tokens) + 2 * 2 * tokens * embed + 2 * embed * c.embed_dim;
  return flops;
}

double text_forward_flops(const ModelConfig& c, int tokens) {
  const TextConfig& t = c.text;
  return transformer_flops(tokens, t.width, t.layers, t.mlp_ratio) + 2.0 * t.width * c.embed_dim;
}

}  // namespace clipforge::bench

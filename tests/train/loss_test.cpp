#include "train/loss.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <torch/torch.h>

using namespace clipforge;

namespace {
// Softmax cross-entropy of row `r` of `z` against label r, and its gradient d/dz[r][*].
double row_ce(const double z[2][2], int r, double grad[2]) {
  const double m = std::max(z[r][0], z[r][1]);
  const double e0 = std::exp(z[r][0] - m), e1 = std::exp(z[r][1] - m);
  grad[0] = e0 / (e0 + e1) - (r == 0);
  grad[1] = e1 / (e0 + e1) - (r == 1);
  return -std::log((r == 0 ? e0 : e1) / (e0 + e1));
}
}  // namespace

TEST_CASE("CLIP loss and its gradients equal a hand computation", "[train][loss]") {
  const double I[2][2] = {{1, 0}, {0, 1}};
  const double T[2][2] = {{1, 0}, {0.6, 0.8}};
  const double s = 2.0;
  double z[2][2], zt[2][2];  // logits per image and per text
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      z[i][j] = s * (I[i][0] * T[j][0] + I[i][1] * T[j][1]);
      zt[j][i] = z[i][j];
    }
  double gz[2][2], gzt[2][2];
  double expected = 0;
  for (int r = 0; r < 2; ++r) expected += 0.25 * (row_ce(z, r, gz[r]) + row_ce(zt, r, gzt[r]));
  // dL/dz[i][j] = (gz[i][j] + gzt[j][i]) / 4 ; dL/ds = sum dL/dz * z / s ; dL/dI[i] = sum_j dL/dz[i][j] * s * T[j]
  double ds = 0, dI[2][2] = {{0, 0}, {0, 0}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      const double g = 0.25 * (gz[i][j] + gzt[j][i]);
      ds += g * z[i][j] / s;
      for (int d = 0; d < 2; ++d) dI[i][d] += g * s * T[j][d];
    }

  torch::Tensor image = torch::tensor({1.0, 0.0, 0.0, 1.0}, torch::kDouble).view({2, 2}).requires_grad_(true);
  torch::Tensor text = torch::tensor({1.0, 0.0, 0.6, 0.8}, torch::kDouble).view({2, 2});
  torch::Tensor scale = torch::tensor(s, torch::kDouble).requires_grad_(true);
  torch::Tensor loss = clip_loss(image, text, scale);
  loss.backward();
  CHECK(loss.item<double>() == Approx(expected).epsilon(1e-6));
  CHECK(scale.grad().item<double>() == Approx(ds).epsilon(1e-5));
  for (int i = 0; i < 2; ++i)
    for (int d = 0; d < 2; ++d) CHECK(image.grad()[i][d].item<double>() == Approx(dI[i][d]).margin(1e-6));
}

TEST_CASE("per-rank local losses average to the global-batch loss and gradient", "[train][loss]") {
  torch::manual_seed(0);
  torch::Tensor images = torch::nn::functional::normalize(torch::randn({6, 8}, torch::kDouble),
                                                          torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor texts = torch::nn::functional::normalize(torch::randn({6, 8}, torch::kDouble),
                                                         torch::nn::functional::NormalizeFuncOptions().dim(1));
  torch::Tensor a = images.clone().requires_grad_(true), b = texts.clone().requires_grad_(true);
  torch::Tensor scale = torch::tensor(10.0, torch::kDouble);
  torch::Tensor global = clip_loss(a, b, scale);
  global.backward();

  torch::Tensor a2 = images.clone().requires_grad_(true), b2 = texts.clone().requires_grad_(true);
  torch::Tensor average = torch::zeros({}, torch::kDouble);
  for (int rank = 0; rank < 3; ++rank)
    average = average + clip_loss(a2.narrow(0, 2 * rank, 2), b2.narrow(0, 2 * rank, 2), scale, a2, b2, 2 * rank) / 3.0;
  average.backward();
  CHECK(average.item<double>() == Approx(global.item<double>()).epsilon(1e-12));
  CHECK(torch::allclose(a2.grad(), a.grad(), 1e-10, 1e-12));
  CHECK(torch::allclose(b2.grad(), b.grad(), 1e-10, 1e-12));
}

TEST_CASE("perfectly separated pairs at a high temperature give a near-zero loss", "[train][loss]") {
  torch::Tensor eye = torch::eye(4);
  CHECK(clip_loss(eye, eye, torch::tensor(100.0f)).item<double>() < 1e-6);
  // And swapped pairs give a large one.
  CHECK(clip_loss(eye, eye.flip(0), torch::tensor(100.0f)).item<double>() > 50.0);
}

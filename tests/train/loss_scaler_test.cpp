#include "train/loss_scaler.h"

#include <catch2/catch.hpp>
#include <limits>
#include <torch/torch.h>

using namespace clipforge;

TEST_CASE("the loss scaler unscales, skips overflowing steps and grows the scale", "[train][scaler]") {
  torch::Tensor p = torch::zeros({3}, torch::requires_grad());
  LossScaler scaler(true, 8.0, 2);
  p.mutable_grad() = torch::tensor({8.0f, 16.0f, -8.0f});
  CHECK(scaler.unscale_and_check({p}));
  CHECK(torch::equal(p.grad(), torch::tensor({1.0f, 2.0f, -1.0f})));
  scaler.step_taken();
  CHECK(scaler.scale() == 8.0);
  scaler.step_taken();
  CHECK(scaler.scale() == 16.0);  // doubled after 2 clean steps

  p.mutable_grad() = torch::tensor({1.0f, std::numeric_limits<float>::infinity(), 0.0f});
  CHECK_FALSE(scaler.unscale_and_check({p}));
  CHECK(scaler.scale() == 8.0);

  LossScaler restored(true);
  restored.restore(scaler.state());
  CHECK(restored.scale() == 8.0);

  LossScaler off(false);
  CHECK(off.scale() == 1.0);
  p.mutable_grad() = torch::tensor({std::numeric_limits<float>::quiet_NaN(), 0.0f, 0.0f});
  CHECK(off.unscale_and_check({p}));  // disabled: the caller's NaN guard decides
}

#include "model/torch_compat.h"

#include <torch/optim/adamw.h>

#include <catch2/catch.hpp>

using namespace clipforge;

TEST_CASE("autocast state is read and restored for CPU and CUDA alike", "[model][compat]") {
  const AutocastState before = AutocastState::current();
  // Thread-local flags: setting CUDA's needs no GPU, which is what lets this run on any machine.
  set_autocast(c10::DeviceType::CPU, true, c10::kBFloat16);
  set_autocast(c10::DeviceType::CUDA, true, c10::kHalf);
  const AutocastState inside = AutocastState::current();
  CHECK(inside.cpu);
  CHECK(inside.cuda);
  CHECK(inside.cpu_dtype == c10::kBFloat16);
  CHECK(inside.cuda_dtype == c10::kHalf);

  before.apply();
  CHECK(autocast_enabled(c10::DeviceType::CPU) == before.cpu);
  CHECK(autocast_enabled(c10::DeviceType::CUDA) == before.cuda);
  inside.apply();
  CHECK(AutocastState::current().cuda);
  CHECK(autocast_dtype(c10::DeviceType::CUDA) == c10::kHalf);
  before.apply();
  CHECK_FALSE(autocast_enabled(c10::DeviceType::CUDA));
}

TEST_CASE("optimizer_state_key finds the state the optimizer keeps for a parameter", "[model][compat]") {
  torch::manual_seed(0);
  std::vector<torch::Tensor> params = {torch::randn({3, 2}, torch::requires_grad()), torch::randn({4}, torch::requires_grad())};
  torch::optim::AdamW adamw(params, torch::optim::AdamWOptions(0.1));
  for (auto& p : params) p.mutable_grad() = torch::ones_like(p);
  adamw.step();
  REQUIRE(adamw.state().size() == 2);
  for (const auto& p : params) {
    auto it = adamw.state().find(optimizer_state_key(adamw, p));
    REQUIRE(it != adamw.state().end());
    CHECK(static_cast<torch::optim::AdamWParamState&>(*it->second).exp_avg().sizes() == p.sizes());
  }
}

TEST_CASE("unscaling divides every gradient and flags any inf or NaN", "[model][compat]") {
  std::vector<torch::Tensor> grads = {torch::full({3}, 8.0), torch::full({2, 2}, -4.0)};
  CHECK(unscale_and_find_nonfinite(grads, 4.0).item<float>() == 0);
  CHECK(torch::equal(grads[0], torch::full({3}, 2.0)));
  CHECK(torch::equal(grads[1], torch::full({2, 2}, -1.0)));
  for (const float bad : {INFINITY, -INFINITY, NAN}) {
    INFO(bad);
    std::vector<torch::Tensor> with_bad = {torch::ones({3}), torch::ones({2})};
    with_bad[1][1] = bad;
    CHECK(unscale_and_find_nonfinite(with_bad, 2.0).item<float>() != 0);
    CHECK(with_bad[0][0].item<float>() == 0.5f);
  }
}

TEST_CASE("attention with the causal flag equals an explicit -inf mask", "[model][compat]") {
  torch::manual_seed(3);
  const auto q = torch::randn({2, 3, 7, 8}, torch::kDouble), k = torch::randn({2, 3, 7, 8}, torch::kDouble),
             v = torch::randn({2, 3, 7, 8}, torch::kDouble);
  const auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(8.0);
  const auto mask = torch::full({7, 7}, -INFINITY, torch::kDouble).triu(1);
  CHECK(torch::allclose(attention(q, k, v, true), torch::matmul(torch::softmax(scores + mask, -1), v), 1e-12, 1e-12));
  CHECK(torch::allclose(attention(q, k, v, false), torch::matmul(torch::softmax(scores, -1), v), 1e-12, 1e-12));
}

#include "train/loss_scaler.h"

#include <torch/torch.h>

#include "model/torch_compat.h"

namespace clipforge {

LossScaler::LossScaler(bool enabled, double initial_scale, int growth_interval)
    : enabled_(enabled), scale_(initial_scale), growth_interval_(growth_interval) {}

bool LossScaler::unscale_and_check(const std::vector<torch::Tensor>& parameters) {
  if (!enabled_) return true;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  // One host synchronisation for the whole model, not one per parameter.
  const bool finite = grads.empty() || unscale_and_find_nonfinite(grads, scale_).item<float>() == 0;
  if (!finite) {
    scale_ /= 2.0;
    clean_steps_ = 0;
  }
  return finite;
}

void LossScaler::step_taken() {
  if (!enabled_) return;
  if (++clean_steps_ >= growth_interval_) {
    scale_ *= 2.0;
    clean_steps_ = 0;
  }
}

nlohmann::json LossScaler::state() const { return {{"scale", scale_}, {"clean_steps", clean_steps_}}; }

void LossScaler::restore(const nlohmann::json& state) {
  if (state.is_null()) return;
  scale_ = state.at("scale").get<double>();
  clean_steps_ = state.at("clean_steps").get<int>();
}

}  // namespace clipforge

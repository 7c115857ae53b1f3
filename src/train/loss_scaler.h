// Dynamic loss scaling for fp16 training (--precision amp on CUDA): LibTorch has no GradScaler.
// The loss is multiplied by `scale()` before backward so small fp16 gradients do not flush to
// zero; gradients are divided back before clipping and the optimizer step. A step whose
// gradients overflowed is skipped and the scale halved; after `growth_interval` clean steps it
// doubles. Same rule and defaults as torch.cuda.amp.GradScaler.
#pragma once

#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace clipforge {

class LossScaler {
 public:
  explicit LossScaler(bool enabled, double initial_scale = 65536.0, int growth_interval = 2000);

  double scale() const { return enabled_ ? scale_ : 1.0; }

  // Divides every gradient by the scale; returns false (and halves the scale) when any gradient
  // is inf or NaN, in which case the caller skips the optimizer step.
  bool unscale_and_check(const std::vector<torch::Tensor>& parameters);

  // Call after a step that was taken: counts towards growing the scale.
  void step_taken();

  nlohmann::json state() const;
  void restore(const nlohmann::json& state);

 private:
  bool enabled_;
  double scale_;
  int growth_interval_;
  int clean_steps_ = 0;
};

}  // namespace clipforge

// AdamW with OpenCLIP's parameter grouping, and the learning-rate schedules.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <memory>
#include <string>
#include <vector>

namespace clipforge {

struct OptimizerConfig {
  double lr = 5e-4;
  double weight_decay = 0.2;
  double beta1 = 0.9;
  double beta2 = 0.98;
  double eps = 1e-6;
};

// OpenCLIP's rule: gains, biases, every parameter with fewer than 2 dimensions (class
// embedding, LayerNorm and BatchNorm parameters) and logit_scale get no weight decay.
bool excluded_from_weight_decay(const std::string& name, const torch::Tensor& parameter);

// An optimizer together with the name of every parameter it updates, in its group order:
// optimizer state is positional, so the names are saved with it and checked on resume.
struct NamedOptimizer {
  std::unique_ptr<torch::optim::AdamW> optimizer;
  std::vector<std::string> names;                // one per parameter, groups concatenated
  std::vector<torch::Tensor> parameters;         // same order
  // The fused kernel counts steps in tensors on the parameters' device; these mirror the state
  // map's counts (rebuilt when they differ, as after a resume) so the map stays what is saved.
  std::vector<torch::Tensor> step_tensors;
  std::vector<int64_t> step_tensor_values;
};

// Only parameters with requires_grad (a locked tower is left out). Group 0 decays, group 1 not.
NamedOptimizer make_adamw(torch::nn::Module& model, const OptimizerConfig& config);

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// One AdamW update of every parameter that has a gradient. Where LibTorch has the fused
// multi-tensor kernel (2.4 and later, CUDA and CPU) each group is one kernel call instead of a
// dozen small ones per parameter (thousands of launches per step on a GPU); elsewhere
// torch::optim::AdamW's own loop. Both compute the same update and leave the same state
// (exp_avg, exp_avg_sq, step) in the optimizer's map, so checkpoints do not depend on which ran.
void adamw_step(NamedOptimizer& optimizer);

enum class Schedule { kCosine, kConst, kConstCooldown };

struct ScheduleConfig {
  Schedule kind = Schedule::kCosine;
  double base_lr = 5e-4;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  int64_t cooldown_steps = 0;     // const-cooldown: steps of decay at the end
  double cooldown_power = 1.0;    // const-cooldown: 1 = linear
  double cooldown_end_lr = 0.0;
};

// Learning rate for 0-based `step`, as OpenCLIP's scheduler computes it: linear warmup over
// warmup_steps, then cosine decay to 0 / constant / constant then polynomial cooldown.
double learning_rate_at(const ScheduleConfig& config, int64_t step);

}  // namespace clipforge

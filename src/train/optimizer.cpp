#include "train/optimizer.h"

#include <cmath>

#include "model/torch_compat.h"

namespace clipforge {

bool excluded_from_weight_decay(const std::string& name, const torch::Tensor& p) {
  auto has = [&](const char* s) { return name.find(s) != std::string::npos; };
  return p.dim() < 2 || has("bn") || has("ln") || has("bias") || has("logit_scale");
}

NamedOptimizer make_adamw(torch::nn::Module& model, const OptimizerConfig& c) {
  NamedOptimizer out;
  std::vector<torch::Tensor> decay, no_decay;
  std::vector<std::string> decay_names, no_decay_names;
  for (const auto& p : model.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    if (excluded_from_weight_decay(p.key(), p.value())) {
      no_decay.push_back(p.value());
      no_decay_names.push_back(p.key());
    } else {
      decay.push_back(p.value());
      decay_names.push_back(p.key());
    }
  }
  auto options = torch::optim::AdamWOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps).weight_decay(c.weight_decay);
  auto no_decay_options = std::make_unique<torch::optim::AdamWOptions>(options);
  no_decay_options->weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(options));
  groups.emplace_back(no_decay, std::move(no_decay_options));
  out.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), options);
  out.names = decay_names;
  out.names.insert(out.names.end(), no_decay_names.begin(), no_decay_names.end());
  out.parameters = decay;
  out.parameters.insert(out.parameters.end(), no_decay.begin(), no_decay.end());
  return out;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

void adamw_step(NamedOptimizer& opt) {
  if (!kHasFusedAdamW) {
    opt.optimizer->step();
    return;
  }
  torch::NoGradGuard no_grad;
  auto& state = opt.optimizer->state();
  opt.step_tensors.resize(opt.parameters.size());
  opt.step_tensor_values.resize(opt.parameters.size(), -1);
  size_t index = 0;  // position in opt.parameters: groups are concatenated in the same order
  for (auto& group : opt.optimizer->param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    TORCH_CHECK(!o.amsgrad(), "adamw_step: clipforge does not use amsgrad");
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    for (const auto& p : group.params()) {
      const size_t i = index++;
      if (!p.grad().defined()) continue;
      const auto key = optimizer_state_key(*opt.optimizer, p);
      auto it = state.find(key);
      if (it == state.end()) {
        auto s = std::make_unique<torch::optim::AdamWParamState>();
        s->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        s->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state.emplace(key, std::move(s)).first;
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*it->second);
      if (opt.step_tensor_values[i] != s.step())
        opt.step_tensors[i] = torch::full({}, static_cast<double>(s.step()), p.options().dtype(torch::kFloat));
      // fused_adamw adds one to the tensor; the map follows on the host.
      s.step(s.step() + 1);
      opt.step_tensor_values[i] = s.step();
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(s.exp_avg());
      exp_avg_sqs.push_back(s.exp_avg_sq());
      steps.push_back(opt.step_tensors[i]);
    }
    if (params.empty()) continue;
    fused_adamw(params, grads, exp_avgs, exp_avg_sqs, steps, o.lr(), std::get<0>(o.betas()), std::get<1>(o.betas()),
                o.weight_decay(), o.eps());
  }
}

double learning_rate_at(const ScheduleConfig& c, int64_t step) {
  if (step < c.warmup_steps) return c.base_lr * static_cast<double>(step + 1) / static_cast<double>(c.warmup_steps);
  switch (c.kind) {
    case Schedule::kConst:
      return c.base_lr;
    case Schedule::kCosine: {
      const double done = static_cast<double>(step - c.warmup_steps);
      const double span = static_cast<double>(std::max<int64_t>(1, c.total_steps - c.warmup_steps));
      return 0.5 * (1.0 + std::cos(M_PI * done / span)) * c.base_lr;
    }
    case Schedule::kConstCooldown: {
      const int64_t start = c.total_steps - c.cooldown_steps;
      if (step < start) return c.base_lr;
      const double done = static_cast<double>(step - start);
      const double span = static_cast<double>(std::max<int64_t>(1, c.total_steps - start));
      const double decay = std::pow(std::max(0.0, 1.0 - done / span), c.cooldown_power);
      return decay * (c.base_lr - c.cooldown_end_lr) + c.cooldown_end_lr;
    }
  }
  return c.base_lr;
}

}  // namespace clipforge

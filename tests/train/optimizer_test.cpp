#include "train/optimizer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "model/clip.h"
#include "model/torch_compat.h"

using namespace clipforge;

TEST_CASE("weight decay skips gains, biases, 1-d parameters and logit_scale", "[train][optimizer]") {
  torch::manual_seed(0);
  CLIP model(load_model_config("tiny-ViT"));
  OptimizerConfig config;
  config.weight_decay = 0.2;
  NamedOptimizer named = make_adamw(*model, config);
  auto& groups = named.optimizer->param_groups();
  REQUIRE(groups.size() == 2);
  CHECK(static_cast<torch::optim::AdamWOptions&>(groups[0].options()).weight_decay() == 0.2);
  CHECK(static_cast<torch::optim::AdamWOptions&>(groups[1].options()).weight_decay() == 0.0);
  const size_t decayed = groups[0].params().size();
  std::set<std::string> decay(named.names.begin(), named.names.begin() + decayed);
  std::set<std::string> no_decay(named.names.begin() + decayed, named.names.end());
  for (const char* name : {"visual.conv1.weight", "visual.proj", "visual.positional_embedding", "text_projection",
                           "token_embedding.weight", "transformer.resblocks.0.attn.in_proj_weight",
                           "transformer.resblocks.1.mlp.c_fc.weight"})
    CHECK(decay.count(name) == 1);
  for (const char* name : {"logit_scale", "visual.class_embedding", "visual.ln_pre.weight", "ln_final.bias",
                           "transformer.resblocks.0.attn.in_proj_bias", "transformer.resblocks.0.ln_1.weight",
                           "transformer.resblocks.1.mlp.c_proj.bias"})
    CHECK(no_decay.count(name) == 1);
  CHECK(named.names.size() == model->parameters().size());
}

TEST_CASE("a locked image tower is left out of the optimizer", "[train][optimizer]") {
  CLIP model(load_model_config("tiny-ViT"));
  for (auto& p : model->visual_vit->parameters()) p.requires_grad_(false);
  NamedOptimizer named = make_adamw(*model, {});
  for (const auto& name : named.names) CHECK(name.rfind("visual.", 0) != 0);
}

TEST_CASE("schedules follow OpenCLIP's formulas", "[train][schedule]") {
  ScheduleConfig c;
  c.base_lr = 1.0;
  c.warmup_steps = 10;
  c.total_steps = 110;
  CHECK(learning_rate_at(c, 0) == Approx(0.1));
  CHECK(learning_rate_at(c, 9) == Approx(1.0));
  CHECK(learning_rate_at(c, 10) == Approx(1.0));
  CHECK(learning_rate_at(c, 60) == Approx(0.5));
  CHECK(learning_rate_at(c, 35) == Approx(0.5 * (1 + std::cos(M_PI * 0.25))));
  CHECK(learning_rate_at(c, 110) == Approx(0.0).margin(1e-12));

  c.kind = Schedule::kConst;
  CHECK(learning_rate_at(c, 4) == Approx(0.5));
  CHECK(learning_rate_at(c, 100) == Approx(1.0));

  c.kind = Schedule::kConstCooldown;
  c.cooldown_steps = 20;
  c.cooldown_end_lr = 0.1;
  CHECK(learning_rate_at(c, 89) == Approx(1.0));
  CHECK(learning_rate_at(c, 90) == Approx(1.0));
  CHECK(learning_rate_at(c, 100) == Approx(0.55));
  c.cooldown_power = 2.0;
  CHECK(learning_rate_at(c, 100) == Approx(0.25 * 0.9 + 0.1));
}

TEST_CASE("set_learning_rate reaches every group", "[train][optimizer]") {
  CLIP model(load_model_config("tiny-ViT"));
  NamedOptimizer named = make_adamw(*model, {});
  set_learning_rate(*named.optimizer, 0.123);
  for (auto& g : named.optimizer->param_groups())
    CHECK(static_cast<torch::optim::AdamWOptions&>(g.options()).lr() == Approx(0.123));
}

TEST_CASE("adamw_step makes torch::optim::AdamW's update and keeps its state", "[train][optimizer]") {
  // Where LibTorch has the fused kernel (2.4 and later) adamw_step runs it; the reference is the
  // optimizer's own per-parameter loop on a copy of the model, over steps with both groups.
  torch::manual_seed(5);
  CLIP fused_model(load_model_config("tiny-ViT")), loop_model(load_model_config("tiny-ViT"));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : loop_model->named_parameters()) p.value().copy_(fused_model->named_parameters()[p.key()]);
  }
  OptimizerConfig config;
  config.lr = 1e-2;
  NamedOptimizer fused = make_adamw(*fused_model, config), loop = make_adamw(*loop_model, config);
  for (int step = 0; step < 3; ++step) {
    for (size_t i = 0; i < fused.parameters.size(); ++i) {
      // Leave one parameter without a gradient in the middle step: it takes no step then.
      if (step == 1 && i == 0) {
        fused.parameters[i].mutable_grad() = torch::Tensor();
        loop.parameters[i].mutable_grad() = torch::Tensor();
        continue;
      }
      const torch::Tensor g = torch::randn_like(fused.parameters[i]);
      fused.parameters[i].mutable_grad() = g.clone();
      loop.parameters[i].mutable_grad() = g.clone();
    }
    adamw_step(fused);
    loop.optimizer->step();
  }
  for (size_t i = 0; i < fused.parameters.size(); ++i) {
    INFO(fused.names[i]);
    CHECK(torch::allclose(fused.parameters[i], loop.parameters[i], 1e-5, 1e-6));
    const auto& a = static_cast<torch::optim::AdamWParamState&>(
        *fused.optimizer->state().at(optimizer_state_key(*fused.optimizer, fused.parameters[i])));
    const auto& b = static_cast<torch::optim::AdamWParamState&>(
        *loop.optimizer->state().at(optimizer_state_key(*loop.optimizer, loop.parameters[i])));
    CHECK(a.step() == b.step());
    CHECK(a.step() == (i == 0 ? 2 : 3));
    CHECK(torch::allclose(a.exp_avg(), b.exp_avg(), 1e-5, 1e-7));
    CHECK(torch::allclose(a.exp_avg_sq(), b.exp_avg_sq(), 1e-5, 1e-9));
  }
}

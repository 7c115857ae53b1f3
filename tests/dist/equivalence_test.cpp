// Two ranks in two threads of this process, talking Gloo over loopback, against one process on
// the concatenated batch: same loss, same gradients, same parameters after several steps.
#include <catch2/catch.hpp>
#include <thread>

#include "dist/dist_fixtures.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "model/state_dict.h"
#include "train/contrastive_step.h"
#include "train/optimizer.h"

using namespace clipforge;


namespace {

struct Step {
  torch::Tensor images, tokens;  // the global batch
};

std::vector<Step> make_steps(const ModelConfig& c, int steps, int global_batch) {
  std::vector<Step> out;
  for (int s = 0; s < steps; ++s) {
    Step step;
    step.images = torch::randn({global_batch, 3, c.vision.image_size, c.vision.image_size});
    step.tokens = torch::randint(1, 1000, {global_batch, 10}, torch::kLong);
    for (int i = 0; i < global_batch; ++i) step.tokens[i][1 + (i * 3 + s) % 9] = c.text.vocab_size - 1;
    out.push_back(step);
  }
  return out;
}

CLIP copy_of(const CLIP& model) {
  CLIP copy(model->config());
  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : state_dict(*model)) weights[name] = t;
  load_state_dict(*copy, weights, "copy");
  copy->train();
  return copy;
}

// A large Adam eps: rounding noise in near-zero gradients would otherwise become full-size
// steps (Adam divides by the gradient's own scale) and hide real differences behind noise.
OptimizerConfig test_optimizer() {
  OptimizerConfig c;
  c.eps = 1e-3;
  return c;
}

std::vector<torch::Tensor> split(const torch::Tensor& t, int parts) { return t.chunk(parts, 0); }

// Runs `steps` optimizer steps on 2 ranks, each rank using `accum` micro-batches of its half.
using Gradients = std::map<std::string, torch::Tensor>;

Gradients gradients_of(const CLIP& model) {
  Gradients out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().grad().clone();
  return out;
}

std::vector<CLIP> run_two_ranks(const CLIP& initial, const std::vector<Step>& steps, int accum, double* first_loss,
                                std::vector<Gradients>* first_gradients) {
  const int port = testing::free_port();
  std::vector<CLIP> models = {copy_of(initial), copy_of(initial)};
  std::vector<double> losses(2);
  std::vector<std::exception_ptr> errors(2);
  auto rank_main = [&](int rank) {
    try {
      DistEnvironment env;
      env.rank = rank;
      env.world_size = 2;
      env.master_addr = "127.0.0.1";
      env.master_port = port;
      auto group = DistGroup::create(env, std::chrono::seconds(60), torch::kCPU);
      NamedOptimizer opt = make_adamw(*models[rank], test_optimizer());
      GradientSync sync(*group, opt.parameters, /*bucket_bytes=*/64 << 10);  // several buckets
      for (size_t s = 0; s < steps.size(); ++s) {
        torch::Tensor images = split(steps[s].images, 2)[rank], tokens = split(steps[s].tokens, 2)[rank];
        opt.optimizer->zero_grad();
        double loss = contrastive_backward(models[rank], split(images, accum), split(tokens, accum), Precision::kFp32,
                                           1.0, {group.get(), &sync, true});
        sync.finish();
        loss = group->all_reduce_sum(loss) / 2;
        if (s == 0) {
          losses[rank] = loss;
          (*first_gradients)[rank] = gradients_of(models[rank]);
        }
        opt.optimizer->step();
      }
      group->barrier();
    } catch (...) {
      errors[rank] = std::current_exception();
    }
  };
  std::thread second(rank_main, 1);
  rank_main(0);
  second.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  CHECK(losses[0] == Approx(losses[1]).epsilon(1e-12));
  *first_loss = losses[0];
  return models;
}

void check_equivalence(int accum) {
  torch::manual_seed(11);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP single(config);
  single->train();
  const std::vector<Step> steps = make_steps(config, 3, 8);
  CLIP initial = copy_of(single);

  double dist_loss = 0;
  std::vector<Gradients> dist_gradients(2);
  std::vector<CLIP> ranks = run_two_ranks(initial, steps, accum, &dist_loss, &dist_gradients);

  NamedOptimizer opt = make_adamw(*single, test_optimizer());
  double single_loss = 0;
  for (size_t s = 0; s < steps.size(); ++s) {
    opt.optimizer->zero_grad();
    const double loss = contrastive_backward(single, {steps[s].images}, {steps[s].tokens}, Precision::kFp32);
    if (s == 0) {
      single_loss = loss;
      const Gradients expected = gradients_of(single);
      for (int r = 0; r < 2; ++r)
        for (const auto& [name, g] : dist_gradients[r]) {
          INFO("rank " << r << " gradient of " << name << " max diff " << (g - expected.at(name)).abs().max().item<double>());
          CHECK(torch::allclose(g, expected.at(name), 1e-4, 1e-5));
        }
    }
    opt.optimizer->step();
  }
  CHECK(dist_loss == Approx(single_loss).epsilon(1e-5));
  auto expected = single->named_parameters();
  for (int r = 0; r < 2; ++r) {
    for (const auto& p : ranks[r]->named_parameters()) {
      INFO("rank " << r << " " << p.key() << " max diff " << (p.value() - expected[p.key()]).abs().max().item<double>());
      CHECK(torch::allclose(p.value(), expected[p.key()], 1e-4, 1e-5));
    }
  }
  // And the two ranks hold identical parameters (they applied the same averaged gradients).
  for (const auto& p : ranks[0]->named_parameters()) CHECK(torch::equal(p.value(), ranks[1]->named_parameters()[p.key()]));
}

}  // namespace

TEST_CASE("2 ranks x batch B train like 1 process x batch 2B", "[dist][equivalence]") { check_equivalence(1); }

TEST_CASE("2 ranks with --accum-freq 2 train like 1 process on the whole batch", "[dist][equivalence]") {
  check_equivalence(2);
}

// Two ranks in two threads of this process, talking Gloo over loopback, against one process on
// the concatenated batch: same loss, same gradients, same parameters after several steps.
#include <catch2/catch.hpp>

#include "dist/two_ranks.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "train/contrastive_step.h"
#include "train/optimizer.h"

using namespace clipforge;


namespace {

// A large Adam eps: rounding noise in near-zero gradients would otherwise become full-size
// steps (Adam divides by the gradient's own scale) and hide real differences behind noise.
OptimizerConfig test_optimizer() {
  OptimizerConfig c;
  c.eps = 1e-3;
  return c;
}

std::vector<torch::Tensor> split(const torch::Tensor& t, int parts) { return t.chunk(parts, 0); }

using Gradients = std::map<std::string, torch::Tensor>;

Gradients gradients_of(const CLIP& model) {
  Gradients out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().grad().clone();
  return out;
}

// Runs `steps` optimizer steps on 2 ranks, each rank using `accum` micro-batches of its half.
// Reports step 1's mean of the two local losses (the global batch's loss) and gradients: step 0
// reduces everything after backward (it learns the bucket order), step 1 from the hooks.
std::vector<CLIP> run_two_ranks(const CLIP& initial, const std::vector<testing::GlobalBatch>& steps, int accum,
                                double* mean_loss, std::vector<Gradients>* step1_gradients) {
  std::vector<CLIP> models = {testing::copy_of(initial), testing::copy_of(initial)};
  std::vector<double> local_losses(2);
  testing::on_ranks(2, [&](int rank, DistGroup& group) {
    NamedOptimizer opt = make_adamw(*models[rank], test_optimizer());
    GradientSync sync(group, opt.parameters, BucketSizes{16 << 10, 64 << 10});  // several buckets
    for (size_t s = 0; s < steps.size(); ++s) {
      torch::Tensor images = split(steps[s].images, 2)[rank], tokens = split(steps[s].tokens, 2)[rank];
      opt.optimizer->zero_grad();
      const double loss = contrastive_backward(models[rank], split(images, accum), split(tokens, accum), Precision::kFp32,
                                               1.0, {&group, &sync, true});
      sync.finish();
      if (s == 1) {
        local_losses[rank] = loss;
        (*step1_gradients)[rank] = gradients_of(models[rank]);
      }
      opt.optimizer->step();
    }
  });
  *mean_loss = (local_losses[0] + local_losses[1]) / 2;
  return models;
}

void check_equivalence(int accum) {
  torch::manual_seed(11);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP single(config);
  single->train();
  const std::vector<testing::GlobalBatch> steps = testing::random_batches(config, 3, 8);
  CLIP initial = testing::copy_of(single);

  double dist_loss = 0;
  std::vector<Gradients> dist_gradients(2);
  std::vector<CLIP> ranks = run_two_ranks(initial, steps, accum, &dist_loss, &dist_gradients);

  NamedOptimizer opt = make_adamw(*single, test_optimizer());
  double single_loss = 0;
  for (size_t s = 0; s < steps.size(); ++s) {
    opt.optimizer->zero_grad();
    const double loss = contrastive_backward(single, {steps[s].images}, {steps[s].tokens}, Precision::kFp32);
    if (s == 1) {
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

#include "train/contrastive_step.h"

#include <catch2/catch.hpp>
#include <map>

using namespace clipforge;

namespace {

struct Batch {
  torch::Tensor images, tokens;
};

Batch random_batch(const ModelConfig& c, int n) {
  Batch b;
  b.images = torch::randn({n, 3, c.vision.image_size, c.vision.image_size});
  b.tokens = torch::randint(1, 1000, {n, 12}, torch::kLong);
  for (int i = 0; i < n; ++i) b.tokens[i][2 + i % 9] = c.text.vocab_size - 1;  // varied end-of-text positions
  return b;
}

std::map<std::string, torch::Tensor> gradients(CLIP& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().grad().clone();
  model->zero_grad();
  return out;
}

void check_same_gradients(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b,
                          double rtol, double atol) {
  REQUIRE(a.size() == b.size());
  for (const auto& [name, g] : a) {
    INFO(name << " max diff " << (g - b.at(name)).abs().max().item<double>());
    CHECK(torch::allclose(g, b.at(name), rtol, atol));
  }
}

}  // namespace

TEST_CASE("gradient accumulation gives the large batch's loss and gradients", "[train][accum]") {
  torch::manual_seed(0);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP model(config);
  model->train();
  Batch b = random_batch(config, 8);

  const double whole = contrastive_backward(model, {b.images}, {b.tokens}, Precision::kFp32);
  auto expected = gradients(model);
  const double accumulated = contrastive_backward(
      model, {b.images.narrow(0, 0, 4), b.images.narrow(0, 4, 4)}, {b.tokens.narrow(0, 0, 4), b.tokens.narrow(0, 4, 4)},
      Precision::kFp32);
  CHECK(accumulated == Approx(whole).epsilon(1e-5));
  // Micro-batches trim the text context to their own longest caption, so the sums are ordered
  // differently: equal up to float rounding.
  check_same_gradients(gradients(model), expected, 1e-4, 1e-5);

  // Four micro-batches of two as well.
  std::vector<torch::Tensor> images, tokens;
  for (int j = 0; j < 4; ++j) {
    images.push_back(b.images.narrow(0, 2 * j, 2));
    tokens.push_back(b.tokens.narrow(0, 2 * j, 2));
  }
  contrastive_backward(model, images, tokens, Precision::kFp32);
  check_same_gradients(gradients(model), expected, 1e-4, 1e-5);
}

TEST_CASE("gradient checkpointing changes memory, not gradients", "[train][checkpointing]") {
  torch::manual_seed(1);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP model(config);
  model->train();
  Batch b = random_batch(config, 4);
  contrastive_backward(model, {b.images}, {b.tokens}, Precision::kFp32);
  auto plain = gradients(model);
  model->set_grad_checkpointing(true);
  contrastive_backward(model, {b.images}, {b.tokens}, Precision::kFp32);
  check_same_gradients(gradients(model), plain, 1e-5, 1e-7);

  // Backward replays each block outside the step's autocast region: it must replay it in bf16,
  // as the forward pass ran, or its gradients are those of another computation.
  model->set_grad_checkpointing(false);
  contrastive_backward(model, {b.images}, {b.tokens}, Precision::kBf16);
  auto plain_bf16 = gradients(model);
  model->set_grad_checkpointing(true);
  contrastive_backward(model, {b.images}, {b.tokens}, Precision::kBf16);
  check_same_gradients(gradients(model), plain_bf16, 1e-5, 1e-7);
}

TEST_CASE("bf16 autocast keeps the loss close to fp32", "[train][precision]") {
  torch::manual_seed(2);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP model(config);
  model->train();
  Batch b = random_batch(config, 4);
  const double fp32 = contrastive_backward(model, {b.images}, {b.tokens}, Precision::kFp32);
  const auto fp32_grads = gradients(model);
  const double bf16 = contrastive_backward(model, {b.images}, {b.tokens}, Precision::kBf16);
  CHECK(bf16 == Approx(fp32).epsilon(0.02));
  // The whole gradient, not the loss alone: bf16 keeps 8 bits of mantissa, so every tensor's
  // gradient points the same way as fp32's (the threshold OpenCLIP users check amp against).
  const auto bf16_grads = gradients(model);
  for (const auto& [name, g] : fp32_grads) {
    const torch::Tensor h = bf16_grads.at(name).to(torch::kFloat);
    const double cosine = (g * h).sum().item<double>() / (g.norm().item<double>() * h.norm().item<double>() + 1e-30);
    INFO(name << ": cosine " << cosine);
    CHECK(cosine > 0.99);
  }
}

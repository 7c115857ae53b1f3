#include <catch2/catch.hpp>
#include <cmath>

#include "model/clip.h"
#include "model/model_fixtures.h"
#include "model/state_dict.h"
#include "support/reference.h"

using namespace clipforge;

namespace {
int64_t parameter_count(const CLIP& model) {
  int64_t n = 0;
  for (const auto& p : model->parameters()) n += p.numel();
  return n;
}
}  // namespace

// The totals OpenAI's CLIP notebook prints for the released models.
TEST_CASE("published configs build models with the released parameter counts", "[model][architecture]") {
  torch::manual_seed(0);
  CHECK(parameter_count(CLIP(load_model_config("ViT-B-32"))) == 151277313);
  CHECK(parameter_count(CLIP(load_model_config("RN50"))) == 102007137);
}

TEST_CASE("state_dict keys, order, dtypes and shapes equal OpenAI's", "[model][architecture]") {
  for (const char* name : {"vit_tiny", "rn_tiny"}) {
    CLIPFORGE_SHARED_PATH_OR_SKIP(dir, std::string("reference/models/") + name);
    const auto manifest = testing::load_manifest(dir);
    CLIP model(parse_model_config(manifest["open_clip_model_config"], name));
    const NamedTensors entries = state_dict(*model);
    const auto& keys = manifest["state_dict"]["keys"];
    REQUIRE(entries.size() == keys.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      INFO(name << " entry " << i);
      CHECK(entries[i].first == keys[i][0].get<std::string>());
      CHECK(entries[i].second.sizes().vec() == keys[i][2].get<std::vector<int64_t>>());
      CHECK((entries[i].second.scalar_type() == torch::kLong) == (keys[i][1] == "I64"));
    }
    // named_parameters() lists exactly the "parameter" rows, in order.
    std::vector<std::string> params, expected_params;
    for (const auto& p : model->named_parameters()) params.push_back(p.key());
    for (const auto& k : keys)
      if (k[3] == "parameter") expected_params.push_back(k[0]);
    CHECK(params == expected_params);
  }
}

TEST_CASE("initialisation follows the released CLIP code", "[model][architecture]") {
  torch::manual_seed(0);
  ModelConfig config = load_model_config("tiny-RN");
  CLIP model(config);
  CHECK(model->logit_scale.item<double>() == Approx(std::log(1 / 0.07)));
  // Residual BatchNorm gains start at zero so each Bottleneck starts as the identity.
  CHECK(model->visual_resnet->named_parameters()["layer1.0.bn3.weight"].abs().max().item<double>() == 0.0);
  CHECK(model->visual_resnet->bn3->weight.min().item<double>() == 1.0);
  // Text embeddings and projections are drawn with CLIP's standard deviations.
  CHECK(model->token_embedding->weight.std().item<double>() == Approx(0.02).epsilon(0.02));
  CHECK(model->positional_embedding.std().item<double>() == Approx(0.01).epsilon(0.1));
  const double width = config.text.width;
  CHECK(model->text_projection.std().item<double>() == Approx(std::pow(width, -0.5)).epsilon(0.1));
  const double proj_std = std::pow(width, -0.5) * std::pow(2.0 * config.text.layers, -0.5);
  CHECK(model->transformer->blocks()[0]->mlp->c_proj->weight.std().item<double>() == Approx(proj_std).epsilon(0.1));
}

TEST_CASE("every parameter receives a gradient from the contrastive logits", "[model][architecture]") {
  torch::manual_seed(0);
  for (const char* name : {"tiny-ViT", "tiny-RN"}) {
    ModelConfig config = load_model_config(name);
    CLIP model(config);
    model->train();
    torch::Tensor images = torch::randn({4, 3, config.vision.image_size, config.vision.image_size});
    torch::Tensor tokens = torch::randint(1, 1000, {4, 10}, torch::kLong);
    tokens.select(1, 9).fill_(config.text.vocab_size - 1);
    torch::Tensor logits = clip_logits(model->encode_image(images), model->encode_text(tokens), model->logit_scale);
    torch::Tensor labels = torch::arange(4);
    torch::Tensor loss = 0.5 * (torch::nn::functional::cross_entropy(logits, labels) +
                                torch::nn::functional::cross_entropy(logits.t(), labels));
    loss.backward();
    for (const auto& p : model->named_parameters()) {
      INFO(name << " " << p.key());
      REQUIRE(p.value().grad().defined());
    }
    // The class token embedding only reaches the output through attention: its gradient
    // proves the tower is wired end to end.
    if (model->visual_vit) CHECK(model->visual_vit->class_embedding.grad().abs().sum().item<double>() > 0);
  }
}

TEST_CASE("text features depend only on tokens up to end-of-text", "[model][architecture]") {
  torch::manual_seed(0);
  ModelConfig config = load_model_config("tiny-ViT");
  CLIP model(config);
  model->eval();
  torch::Tensor a = torch::zeros({1, config.text.context_length}, torch::kLong);
  a[0][0] = 49406;
  a[0][1] = 320;
  a[0][2] = 49407;
  torch::Tensor b = a.clone();
  b[0][5] = 1234;  // after end-of-text: must not matter under the causal mask
  torch::Tensor fa = model->encode_text(a), fb = model->encode_text(b);
  CHECK(torch::allclose(fa, fb, 0, 1e-6));
  torch::Tensor c = a.clone();
  c[0][1] = 321;  // before end-of-text: must matter
  CHECK_FALSE(torch::allclose(fa, model->encode_text(c), 0, 1e-4));
}

// In eval mode BatchNorm is folded into the convolutions (where that is cheaper) and ReLU/residual
// work in place: the block
// must still be conv -> BatchNorm(running statistics) -> ReLU, in values and in gradients.
TEST_CASE("an eval-mode Bottleneck equals conv and BatchNorm with running statistics", "[model][architecture]") {
  namespace F = torch::nn::functional;
  torch::manual_seed(0);
  Bottleneck block(8, 4, 2);
  block->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    for (auto& buffer : block->named_buffers())
      if (buffer.key().find("running_") != std::string::npos) buffer.value().uniform_(0.5, 1.5);
    for (auto& p : block->parameters()) p.normal_(0, 0.5);
  }
  block->eval();
  // Batch 2 at 6x6 folds every BatchNorm into its conv; batch 1 at 2x2 folds none.
  const auto shape = GENERATE(std::vector<int64_t>{2, 8, 6, 6}, std::vector<int64_t>{1, 8, 2, 2});
  torch::Tensor x = torch::randn(shape, torch::kDouble).requires_grad_();

  auto conv_bn = [](const torch::Tensor& in, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn, int64_t padding) {
    torch::Tensor y = F::conv2d(in, conv->weight, F::Conv2dFuncOptions().padding(padding));
    return F::batch_norm(y, bn->running_mean, bn->running_var,
                         F::BatchNormFuncOptions().weight(bn->weight).bias(bn->bias).training(false).eps(1e-5));
  };
  const auto down = block->downsample->children();  // "0": conv, "1": BatchNorm
  torch::nn::Conv2d down_conv(std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(down.at(0)));
  torch::nn::BatchNorm2d down_bn(std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(down.at(1)));
  REQUIRE_FALSE(down_conv.is_empty());
  REQUIRE_FALSE(down_bn.is_empty());
  auto pool = [](const torch::Tensor& in) { return F::avg_pool2d(in, F::AvgPool2dFuncOptions(2)); };
  torch::Tensor out = torch::relu(conv_bn(x, block->conv1, block->bn1, 0));
  out = torch::relu(conv_bn(out, block->conv2, block->bn2, 1));
  out = conv_bn(pool(out), block->conv3, block->bn3, 0);
  torch::Tensor expected = torch::relu(out + conv_bn(pool(x), down_conv, down_bn, 0));

  torch::Tensor actual = block(x);
  CHECK(torch::allclose(actual, expected, 1e-9, 1e-12));
  torch::Tensor weights = torch::randn_like(expected);
  auto grads = [&](const torch::Tensor& y) {
    return torch::autograd::grad({(y * weights).sum()},
                                 {x, block->conv1->weight, block->bn1->weight, block->bn3->bias, down_bn->weight});
  };
  auto expected_grads = grads(expected), actual_grads = grads(actual);
  for (size_t i = 0; i < expected_grads.size(); ++i) {
    INFO("gradient " << i);
    CHECK(expected_grads[i].abs().sum().item<double>() > 0);
    CHECK(torch::allclose(actual_grads[i], expected_grads[i], 1e-9, 1e-12));
  }
}

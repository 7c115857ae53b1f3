// The CPU kernels (model/cpu_matmul, model/linear, the attention core) against plain ATen
// expressions of the same math: values and gradients.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cmath>

#include "clipforge/cpu_kernels.h"
#include "model/attention.h"
#include "model/cpu_matmul.h"
#include "model/linear.h"

using namespace clipforge;

namespace {

bool close(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
  return a.sizes() == b.sizes() && torch::allclose(a, b, tol, tol);
}

// Gradients of sum(out * weights) with respect to `inputs`, weights fixed random: exercises every
// element of the backward pass with a different upstream gradient.
std::vector<torch::Tensor> grads(const torch::Tensor& out, const std::vector<torch::Tensor>& inputs) {
  torch::manual_seed(7);
  const torch::Tensor upstream = torch::randn_like(out);
  return torch::autograd::grad({(out * upstream).sum()}, inputs);
}

}  // namespace

TEST_CASE("builds with oneDNN use the CPU kernels for float32 CPU tensors only", "[model][cpu_kernels]") {
  // CI sets CLIPFORGE_REQUIRE_DNNL for the Debian build, whose kernels must be the ones tested; a
  // build without oneDNN (configure says so, and `clipforge info`) would compare ATen with ATen.
  if (std::getenv("CLIPFORGE_REQUIRE_DNNL") != nullptr) REQUIRE(CLIPFORGE_HAVE_DNNL == 1);
  CHECK(cpu_kernels_apply(torch::ones({2, 2})) == static_cast<bool>(CLIPFORGE_HAVE_DNNL));
  CHECK_FALSE(cpu_kernels_apply(torch::ones({2, 2}, torch::kDouble)));
  CHECK_FALSE(cpu_kernels_apply(torch::ones({2, 2}, torch::kBFloat16)));
  CHECK((cpu_matmul_library().rfind("oneDNN ", 0) == 0) == static_cast<bool>(CLIPFORGE_HAVE_DNNL));
}

// matmul_into exists only in builds with oneDNN; in others the test above checks it is unused.
#if CLIPFORGE_HAVE_DNNL
TEST_CASE("matmul_into reads transposed and strided operands in place", "[model][cpu_kernels]") {
  torch::manual_seed(0);
  SECTION("one matrix, every combination of transposes, alpha and beta") {
    const torch::Tensor a = torch::randn({37, 53}), b = torch::randn({53, 29}), c0 = torch::randn({37, 29});
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        INFO("transposed a " << ta << ", transposed b " << tb);
        const torch::Tensor av = ta ? a.t().contiguous().t() : a, bv = tb ? b.t().contiguous().t() : b;
        torch::Tensor c = c0.clone();
        matmul_into(av, bv, c, 0.5f, 2.0f);
        CHECK(close(c, 0.5 * torch::mm(a, b) + 2.0 * c0, 1e-4));
      }
  }
  SECTION("batched views with gaps between rows, written into a strided output") {
    const torch::Tensor qkv = torch::randn({3, 11, 3, 2, 8});  // [batch, tokens, part, heads, dim]
    const torch::Tensor q = qkv.select(2, 0).permute({0, 2, 1, 3}), k = qkv.select(2, 1).permute({0, 2, 1, 3});
    torch::Tensor out = torch::zeros({3, 11, 2, 11}).permute({0, 2, 1, 3});  // rows of c are 2*11 apart
    matmul_into(q, k.transpose(-2, -1), out);
    CHECK(close(out, torch::matmul(q, k.transpose(-2, -1)), 1e-5));
  }
  SECTION("mismatched shapes are refused with the shapes named") {
    torch::Tensor c = torch::empty({4, 4});
    CHECK_THROWS_WITH(matmul_into(torch::ones({4, 3}), torch::ones({2, 4}), c), Catch::Contains("[4, 3] x [2, 4]"));
    // An expanded operand's rows overlap in memory: refused rather than read as if laid out.
    CHECK_THROWS_WITH(matmul_into(torch::ones({1, 3}).expand({4, 3}), torch::ones({3, 4}), c), Catch::Contains("overlap"));
  }
}
#endif

TEST_CASE("linear equals x W^T + b in values and gradients", "[model][cpu_kernels]") {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({4, 7, 24}).requires_grad_(true);
  const torch::Tensor w = torch::randn({40, 24}).requires_grad_(true);
  const torch::Tensor b = torch::randn({40}).requires_grad_(true);
  const torch::Tensor expected = torch::matmul(x, w.t()) + b;
  const torch::Tensor got = clipforge::linear(x, w, b);
  CHECK(close(got, expected, 1e-4));
  const auto want = grads(expected, {x, w, b}), have = grads(got, {x, w, b});
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("gradient " << i);
    CHECK(close(have[i], want[i], 1e-4));
  }
  // Without a bias, and with a frozen weight (only the input's gradient is asked for).
  const torch::Tensor frozen = w.detach();
  const torch::Tensor plain = clipforge::linear(x, frozen, torch::Tensor());
  CHECK(close(plain, torch::matmul(x, frozen.t()), 1e-4));
  CHECK(close(grads(plain, {x})[0], grads(torch::matmul(x, frozen.t()), {x})[0], 1e-4));
}

TEST_CASE("self-attention equals the textbook formula, causal or not", "[model][cpu_kernels]") {
  torch::manual_seed(2);
  const int64_t batch = 3, tokens = 9, width = 32, heads = 4, dim = width / heads;
  // float32 takes the CPU kernels (in builds with oneDNN), float64 ATen's path: there the causal
  // flag goes to scaled_dot_product_attention's is_causal (2.x) instead of a mask tensor.
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    SelfAttention attn(width, heads);
    attn->to(dtype);
    const torch::Tensor x = torch::randn({batch, tokens, width}, dtype).requires_grad_(true);
    for (const bool causal : {false, true}) {
      INFO(c10::toString(dtype) << ", " << (causal ? "causal" : "not causal"));
      // Reference: separate q, k, v projections, explicit softmax, heads merged by reshape.
      const auto parts = (torch::matmul(x, attn->in_proj_weight.t()) + attn->in_proj_bias).chunk(3, -1);
      auto heads_of = [&](const torch::Tensor& t) { return t.view({batch, tokens, heads, dim}).transpose(1, 2); };
      torch::Tensor scores = torch::matmul(heads_of(parts[0]), heads_of(parts[1]).transpose(-2, -1)) / std::sqrt(dim);
      if (causal) scores = scores + torch::full({tokens, tokens}, -INFINITY, dtype).triu(1);
      const torch::Tensor merged =
          torch::matmul(torch::softmax(scores, -1), heads_of(parts[2])).transpose(1, 2).reshape({batch, tokens, width});
      const torch::Tensor expected = torch::matmul(merged, attn->out_proj->weight.t()) + attn->out_proj->bias;
      const torch::Tensor got = attn(x, causal);
      CHECK(close(got, expected, 1e-5));
      const std::vector<torch::Tensor> inputs = {x, attn->in_proj_weight, attn->in_proj_bias, attn->out_proj->weight};
      const auto want = grads(expected, inputs), have = grads(got, inputs);
      for (size_t i = 0; i < want.size(); ++i) {
        INFO("gradient " << i);
        CHECK(close(have[i], want[i], 1e-5));
      }
    }
  }
}

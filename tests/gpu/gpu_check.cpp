// The checks scripts/gpu_check.sh runs on a GPU machine: CPU/CUDA parity, mixed precision,
// checkpointing under autocast, a one-rank NCCL group, checkpoints moved between devices, and a
// ViT-B-32 training-step benchmark. One line per check ("PASS name: detail" or "FAIL ..."), the
// benchmark as one JSON line; exit status 1 when any check failed.
//
//   clipforge_gpu_check             every check on cuda:0 (NCCL for the process group)
//   clipforge_gpu_check --cpu-only  the same checks where they need no GPU: CPU autocast, a Gloo
//                                   group, CPU checkpoints, a tiny benchmark (run by CTest)
#include <unistd.h>

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <string>

#include "dist/dist_fixtures.h"
#include "dist/gradient_sync.h"
#include "dist/process_group.h"
#include "model/clip.h"
#include "model/config.h"
#include "model/runtime.h"
#include "model/state_dict.h"
#include "train/checkpoint.h"
#include "train/contrastive_step.h"
#include "train/optimizer.h"

using namespace clipforge;

namespace {

struct Batch {
  torch::Tensor images, tokens;
};

// Random images and captions of 4 to 20 tokens, padded to `context` (OpenCLIP always encodes
// the model's full context; clipforge stops at the batch's last end-of-text).
Batch random_batch(const ModelConfig& c, int64_t n, const c10::Device& device, int64_t context = 20) {
  Batch b;
  b.images = torch::randn({n, 3, c.vision.image_size, c.vision.image_size});
  b.tokens = torch::zeros({n, context}, torch::kLong);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t length = 4 + i % 17;
    b.tokens[i].narrow(0, 0, length - 1).random_(1, c.text.vocab_size - 1);
    b.tokens[i][length - 1] = c.text.vocab_size - 1;  // end-of-text: the row's highest id
  }
  b.images = b.images.to(device);
  b.tokens = b.tokens.to(device);
  return b;
}

using Gradients = std::map<std::string, torch::Tensor>;

// Gradients of one step's loss, on the CPU in float32; the model's gradients are cleared.
Gradients step_gradients(CLIP& model, const Batch& b, Precision precision, double* loss = nullptr,
                         double loss_scale = 1.0, const StepDistribution& distribution = {}) {
  model->zero_grad();
  const double l = contrastive_backward(model, {b.images}, {b.tokens}, precision, loss_scale, distribution);
  if (loss) *loss = l;
  if (distribution.sync) distribution.sync->finish();
  Gradients out;
  for (const auto& p : model->named_parameters())
    if (p.value().grad().defined()) out[p.key()] = p.value().grad().detach().to(torch::kCPU, torch::kFloat) / loss_scale;
  model->zero_grad();
  return out;
}

// The worst tensor's cosine between two sets of gradients, and its name.
std::pair<double, std::string> worst_cosine(const Gradients& a, const Gradients& b) {
  std::pair<double, std::string> worst{1.0, ""};
  for (const auto& [name, g] : a) {
    const torch::Tensor h = b.at(name);
    const double denominator = g.norm().item<double>() * h.norm().item<double>();
    const double cosine = denominator == 0 ? (torch::equal(g, h) ? 1.0 : 0.0) : (g * h).sum().item<double>() / denominator;
    if (cosine < worst.first) worst = {cosine, name};
  }
  return worst;
}

// The largest |a - b| over a tensor, relative to the largest |a|: a scale-free parity figure.
std::pair<double, std::string> worst_relative_difference(const Gradients& a, const Gradients& b) {
  std::pair<double, std::string> worst{0.0, ""};
  for (const auto& [name, g] : a) {
    const double scale = std::max(g.abs().max().item<double>(), 1e-12);
    const double d = (g - b.at(name)).abs().max().item<double>() / scale;
    if (d > worst.first) worst = {d, name};
  }
  return worst;
}

std::string fmt(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.3g", v);
  return s;
}

class Report {
 public:
  void check(const std::string& name, bool pass, const std::string& detail) {
    std::cout << (pass ? "PASS " : "FAIL ") << name << ": " << detail << std::endl;
    failed_ += pass ? 0 : 1;
  }
  // A check that throws fails with the exception's first line instead of ending the run.
  void run(const std::string& name, const std::function<void()>& body) {
    try {
      body();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      check(name, false, "threw: " + what.substr(0, what.find('\n')));
    }
  }
  int failed() const { return failed_; }

 private:
  int failed_ = 0;
};

CLIP fresh_model(const std::string& name, uint64_t seed, const c10::Device& device) {
  torch::manual_seed(seed);
  CLIP model(load_model_config(name));
  model->to(device);
  model->train();
  return model;
}

// CPU and CUDA give the same loss and gradients in fp32 with TF32 off.
void check_parity(Report& report, const c10::Device& cuda) {
  for (const std::string name : {"tiny-ViT", "tiny-RN"}) {
    report.run("fp32 parity CPU vs CUDA, " + name, [&] {
      configure_cuda_math(/*tf32=*/false);
      CLIP model = fresh_model(name, 11, torch::kCPU);
      torch::manual_seed(12);
      const Batch cpu_batch = random_batch(model->config(), 8, torch::kCPU);
      double cpu_loss = 0, cuda_loss = 0;
      const Gradients on_cpu = step_gradients(model, cpu_batch, Precision::kFp32, &cpu_loss);
      model->to(cuda);
      const Gradients on_cuda =
          step_gradients(model, {cpu_batch.images.to(cuda), cpu_batch.tokens.to(cuda)}, Precision::kFp32, &cuda_loss);
      const auto [diff, where] = worst_relative_difference(on_cpu, on_cuda);
      const double loss_diff = std::abs(cpu_loss - cuda_loss) / std::abs(cpu_loss);
      report.check("fp32 parity CPU vs CUDA, " + name, diff < 1e-3 && loss_diff < 1e-5,
                   "loss " + fmt(cpu_loss) + " vs " + fmt(cuda_loss) + ", worst gradient rel. diff " + fmt(diff) +
                       " (" + where + ") over " + std::to_string(on_cpu.size()) + " tensors");
      configure_cuda_math(/*tf32=*/true);
    });
  }
}

// Mixed precision moves every gradient by rounding only, and gradient checkpointing replays
// blocks under the autocast their forward pass ran in.
void check_mixed_precision(Report& report, const c10::Device& device) {
  std::vector<std::pair<Precision, std::string>> precisions = {{Precision::kBf16, "bf16"}};
  if (device.is_cuda()) precisions.push_back({Precision::kAmp, "fp16 amp"});
  for (const auto& [precision, label] : precisions) {
    report.run(label + " vs fp32 gradients", [&] {
      CLIP model = fresh_model("tiny-ViT", 21, device);
      const Batch b = random_batch(model->config(), 8, device);
      const Gradients fp32 = step_gradients(model, b, Precision::kFp32);
      const Gradients mixed = step_gradients(model, b, precision, nullptr, precision == Precision::kAmp ? 1024.0 : 1.0);
      const auto [cosine, where] = worst_cosine(fp32, mixed);
      report.check(label + " vs fp32 gradients", cosine > 0.99, "worst cosine " + fmt(cosine) + " (" + where + ")");
    });
  }
  report.run("bf16 with gradient checkpointing", [&] {
    CLIP model = fresh_model("tiny-ViT", 22, device);
    const Batch b = random_batch(model->config(), 8, device);
    const Gradients plain = step_gradients(model, b, Precision::kBf16);
    model->set_grad_checkpointing(true);
    const Gradients checkpointed = step_gradients(model, b, Precision::kBf16);
    const auto [diff, where] = worst_relative_difference(plain, checkpointed);
    report.check("bf16 with gradient checkpointing", diff < 1e-3,
                 "worst gradient rel. diff to bf16 without it " + fmt(diff) + " (" + where + ")");
  });
}

// A one-rank process group on the device's backend: collectives and a distributed step.
void check_process_group(Report& report, const c10::Device& device) {
  const std::string backend = device.is_cuda() ? "NCCL" : "Gloo";
  report.run(backend + " one-rank group", [&] {
    DistEnvironment env;
    env.master_port = testing::free_port();
    auto group = DistGroup::create(env, std::chrono::seconds(60), device);
    const std::vector<double> sums = group->all_reduce_sum({2.5, -1.0});
    CLIP model = fresh_model("tiny-ViT", 31, device);
    const auto before = model->logit_scale.detach().clone();
    group->broadcast_from_rank0(*model);
    const torch::Tensor local = torch::randn({4, 8}, torch::TensorOptions(device).requires_grad(true));
    const torch::Tensor gathered = group->all_gather_with_grad(local);
    (gathered * gathered).sum().backward();
    const bool collectives = sums == std::vector<double>{2.5, -1.0} && torch::equal(model->logit_scale.detach(), before) &&
                             torch::equal(gathered.detach(), local.detach()) &&
                             torch::allclose(local.grad(), 2 * local.detach());
    report.check(backend + " one-rank collectives", collectives,
                 "all-reduce " + fmt(sums.at(0)) + ", " + fmt(sums.at(1)) + ", broadcast, all-gather with gradient");

    const Batch b = random_batch(model->config(), 8, device);
    const Gradients single = step_gradients(model, b, Precision::kFp32);
    NamedOptimizer optimizer = make_adamw(*model, {});
    GradientSync sync(*group, optimizer.parameters);
    const Gradients distributed = step_gradients(model, b, Precision::kFp32, nullptr, 1.0, {group.get(), &sync, true});
    const auto [diff, where] = worst_relative_difference(single, distributed);
    report.check(backend + " one-rank training step", diff < 1e-5,
                 "worst gradient rel. diff to the single-process step " + fmt(diff) + " (" + where + ")");
  });
}

// A checkpoint written from the device loads into a CPU model and optimizer.
void check_checkpoint_to_cpu(Report& report, const c10::Device& device) {
  report.run("checkpoint saved on " + device.str() + " loads on the CPU", [&] {
    const std::string dir = (std::filesystem::temp_directory_path() / ("clipforge_gpu_check_" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(dir);
    CLIP model = fresh_model("tiny-ViT", 41, device);
    NamedOptimizer optimizer = make_adamw(*model, {});
    step_gradients(model, random_batch(model->config(), 4, device), Precision::kFp32);
    const Batch b = random_batch(model->config(), 4, device);
    contrastive_backward(model, {b.images}, {b.tokens}, Precision::kFp32);
    adamw_step(optimizer);
    CheckpointStore store(dir, 1);
    TrainingState state;
    state.step = 1;
    store.save(model, optimizer, state);

    CLIP back = fresh_model("tiny-ViT", 42, torch::kCPU);
    NamedOptimizer back_optimizer = make_adamw(*back, {});
    const TrainingState loaded = store.load(*store.latest(), back, back_optimizer);
    bool equal = loaded.step == 1;
    const auto saved = state_dict(*model), restored = state_dict(*back);
    for (size_t i = 0; i < saved.size(); ++i) equal = equal && torch::equal(saved[i].second.cpu(), restored[i].second);
    std::filesystem::remove_all(dir);
    report.check("checkpoint saved on " + device.str() + " loads on the CPU", equal,
                 std::to_string(saved.size()) + " tensors bit-identical, optimizer state restored");
  });
}

// Training-step throughput: forward, backward, AdamW; one JSON line.
void benchmark(const c10::Device& device, const std::string& model_name, int64_t batch, Precision precision, int iterations) {
  configure_cuda_math(/*tf32=*/true);
  CLIP model = fresh_model(model_name, 51, device);
  NamedOptimizer optimizer = make_adamw(*model, {});
  const Batch b = random_batch(model->config(), batch, device, model->config().text.context_length);
  auto step = [&] {
    optimizer.optimizer->zero_grad();
    contrastive_backward(model, {b.images}, {b.tokens}, precision);
    adamw_step(optimizer);
  };
  auto synchronize = [&] {
    if (device.is_cuda()) model->logit_scale.detach().cpu();  // waits for the queued kernels
  };
  for (int i = 0; i < 3; ++i) step();
  synchronize();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) step();
  synchronize();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json result = {{"benchmark", "gpu_check train step"},
                           {"model", model_name},
                           {"batch", batch},
                           {"precision", precision == Precision::kBf16 ? "bf16" : "fp32"},
                           {"iterations", iterations},
                           {"samples_per_s", batch * iterations / seconds},
                           {"device", device.str()},
                           {"runtime", runtime_description()}};
  std::cout << result.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  const bool cpu_only = argc > 1 && std::string(argv[1]) == "--cpu-only";
  if (argc > 2 || (argc == 2 && !cpu_only)) {
    std::cerr << "usage: clipforge_gpu_check [--cpu-only]\n";
    return 2;
  }
  set_compute_threads(0);
  Report report;
  c10::Device device(torch::kCPU);
  try {
    if (!cpu_only) device = parse_device("cuda:0");
  } catch (const std::exception& e) {
    std::cerr << "clipforge_gpu_check: " << e.what() << " (--cpu-only runs the checks that need no GPU)\n";
    return 2;
  }
  std::cout << "clipforge gpu check on " << device.str() << ": " << runtime_description().dump() << std::endl;
  if (!cpu_only) check_parity(report, device);
  check_mixed_precision(report, device);
  check_process_group(report, device);
  check_checkpoint_to_cpu(report, device);
  report.run("benchmark", [&] {
    if (cpu_only) {
      benchmark(device, "tiny-ViT", 16, Precision::kFp32, 2);
    } else {
      benchmark(device, "ViT-B-32", 256, Precision::kBf16, 20);
    }
  });
  std::cout << (report.failed() == 0 ? "gpu check: all passed" : "gpu check: " + std::to_string(report.failed()) + " failed")
            << std::endl;
  return report.failed() == 0 ? 0 : 1;
}

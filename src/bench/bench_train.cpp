#include "bench/bench_train.h"

#include <torch/torch.h>

#include <fstream>

#include "bench/model_flops.h"
#include "bench/report.h"
#include "core/error.h"
#include "model/cpu_matmul.h"
#include "train/contrastive_step.h"
#include "train/optimizer.h"

namespace clipforge::bench {
namespace {

// Resident-set high-water mark of this process, in bytes.
double peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      double kb = 0;
      in >> kb;
      return kb * 1024;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

// fp32 n x n matmul throughput with the current threads, through ATen's BLAS and, where the
// build has them, the CPU kernels the model uses: MFU is measured against the faster of the two.
struct MatmulPeaks {
  double blas = 0;
  double cpu_kernels = 0;
  double roof() const { return std::max(blas, cpu_kernels); }
};

MatmulPeaks matmul_gflops(int n) {
  torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  // The best of several short timings: a peak, so a moment of interference must not lower it.
  auto rate = [&](const std::function<void()>& mm) {
    mm();
    double best = 0;
    for (int round = 0; round < 4; ++round) {
      const int reps = 3;
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < reps; ++i) mm();
      best = std::max(best, 2.0 * n * n * n * reps / seconds_since(start) / 1e9);
    }
    return best;
  };
  MatmulPeaks peaks;
  peaks.blas = rate([&] { torch::mm_out(c, a, b); });
  if (cpu_kernels_apply(a)) peaks.cpu_kernels = rate([&] { matmul_into(a, b, c); });
  return peaks;
}

}  // namespace

void run_train_benchmark(const TrainBenchOptions& o) {
  torch::manual_seed(0);
  const ModelConfig config = load_model_config(o.model);
  const Precision precision = o.precision == "bf16" ? Precision::kBf16 : Precision::kFp32;
  if (o.precision != "fp32" && o.precision != "bf16") throw usage_error("--precision: fp32 or bf16 on the CPU");
  const MatmulPeaks peaks = matmul_gflops(1024);

  CLIP model(config);
  model->train();
  NamedOptimizer optimizer = make_adamw(*model, {});
  const int size = config.vision.image_size;
  const int tokens_used = std::min(o.caption_tokens + 2, config.text.context_length);
  torch::Tensor images = torch::randn({o.batch, 3, size, size});
  torch::Tensor tokens = torch::zeros({o.batch, config.text.context_length}, torch::kLong);
  tokens.narrow(1, 0, tokens_used - 1).copy_(torch::randint(1, config.text.vocab_size - 2, {o.batch, tokens_used - 1}));
  tokens.select(1, tokens_used - 1).fill_(config.text.vocab_size - 1);

  // The optimizer's share is timed apart: on small models AdamW's passes over every parameter
  // (the token embedding included) are a visible part of the step.
  std::vector<double> optimizer_seconds;
  auto step = [&] {
    optimizer.optimizer->zero_grad();
    contrastive_backward(model, {images}, {tokens}, precision);
    const auto start = std::chrono::steady_clock::now();
    adamw_step(optimizer);
    optimizer_seconds.push_back(seconds_since(start));
  };
  const std::vector<double> seconds = time_calls(o.warmup, o.iterations, step);
  const double step_s = median(seconds);
  const double optimizer_s = median(std::vector<double>(optimizer_seconds.end() - o.iterations, optimizer_seconds.end()));
  const double flops_per_sample = 3 * (image_forward_flops(config) + text_forward_flops(config, tokens_used));
  const double achieved = flops_per_sample * o.batch / step_s / 1e9;
  print_report("train", {{"model", o.model},
                         {"batch", o.batch},
                         {"precision", o.precision},
                         {"caption_tokens", tokens_used},
                         {"samples_per_s", o.batch / step_s},
                         {"step_s", seconds},
                         {"optimizer_s", optimizer_s},
                         {"optimizer_share", optimizer_s / step_s},
                         {"train_gflop_per_sample", flops_per_sample / 1e9},
                         {"achieved_gflop_s", achieved},
                         {"matmul_peak_gflop_s", peaks.roof()},
                         {"blas_mm_gflop_s", peaks.blas},
                         {"cpu_kernels_mm_gflop_s", peaks.cpu_kernels},
                         {"mfu_vs_matmul_peak", achieved / peaks.roof()},
                         {"peak_rss_gib", peak_rss_bytes() / (1 << 30)}});
}

}  // namespace clipforge::bench

#include "bench/bench_model.h"

#include <torch/torch.h>

#include <algorithm>

#include "bench/report.h"
#include "model/clip.h"

namespace clipforge::bench {
namespace {

// Token rows [batch, context]: start, `length` ids, end-of-text, zero padding. The content does
// not matter for speed; the end-of-text position does.
torch::Tensor token_batch(int batch, const TextConfig& text, int length) {
  length = std::min(length, text.context_length - 2);
  torch::Tensor tokens = torch::zeros({batch, text.context_length}, torch::kLong);
  tokens.select(1, 0).fill_(text.vocab_size - 2);
  tokens.narrow(1, 1, length).copy_(torch::randint(1, text.vocab_size - 2, {batch, length}, torch::kLong));
  tokens.select(1, length + 1).fill_(text.vocab_size - 1);
  return tokens;
}

nlohmann::json throughput(const std::vector<double>& seconds, int batch) {
  return {{"per_s", batch / median(seconds)}, {"median_batch_s", median(seconds)}, {"batch_s", seconds}};
}

}  // namespace

void run_model_benchmark(const ModelBenchOptions& o) {
  torch::manual_seed(0);
  const ModelConfig config = load_model_config(o.model);
  CLIP model(config);
  model->eval();
  c10::InferenceMode inference;

  const int size = config.vision.image_size;
  torch::Tensor images = torch::randn({o.batch, 3, size, size});
  torch::Tensor captions = token_batch(o.batch, config.text, o.caption_tokens);
  torch::Tensor full = token_batch(o.batch, config.text, config.text.context_length);

  auto image_s = time_calls(o.warmup, o.iterations, [&] { model->encode_image(images); });
  auto caption_s = time_calls(o.warmup, o.iterations, [&] { model->encode_text(captions); });
  auto full_s = time_calls(o.warmup, o.iterations, [&] { model->encode_text(full); });

  print_report("model", {{"model", o.model},
                         {"batch", o.batch},
                         {"precision", "fp32"},
                         {"mode", "inference"},
                         {"encode_image", throughput(image_s, o.batch)},
                         {"encode_text_captions", throughput(caption_s, o.batch)},
                         {"encode_text_caption_tokens", o.caption_tokens + 2},
                         {"encode_text_full_context", throughput(full_s, o.batch)}});
}

}  // namespace clipforge::bench

#include "eval/encoder.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <cstdlib>

#include "core/error.h"
#include "eval/classifier_cache.h"
#include "eval/image_inputs.h"
#include "eval/zeroshot.h"
#include "model/config.h"
#include "model/runtime.h"

namespace clipforge {

namespace {

torch::ScalarType parse_precision(const std::string& name) {
  if (name == "fp32") return torch::kFloat;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp16") return torch::kHalf;
  throw usage_error("--precision: '" + name + "' is not one of fp32, bf16, fp16");
}

torch::Tensor normalized_cpu(const torch::Tensor& features) {
  return l2_normalize(features.to(torch::kFloat)).cpu();
}
}  // namespace

Encoder::Encoder(const EncoderOptions& options)
    : options_(options), device_(parse_device(options.device)), dtype_(parse_precision(options.precision)) {
  if (options.weights.empty()) throw usage_error("--weights is required");
  if (options.batch_size <= 0) throw usage_error("--batch-size must be positive");
  loaded_ = load_model({options.model, options.weights});
  loaded_.model->to(device_);
  // Module::to(dtype) converts integer buffers too; fp32 weights are already right as loaded.
  if (dtype_ != torch::kFloat) loaded_.model->to(dtype_);
  loaded_.model->eval();
}

double Encoder::logit_scale() const { return loaded_.model->logit_scale.to(torch::kFloat).exp().item<double>(); }

std::string Encoder::vocab_path() const {
  if (!options_.vocab.empty()) return options_.vocab;
  const char* env = std::getenv("CLIPFORGE_VOCAB");
  return env ? env : "";
}

const text::Tokenizer& Encoder::tokenizer() {
  if (!tokenizer_) {
    const std::string path = vocab_path();
    if (path.empty()) throw usage_error("no vocabulary: pass --vocab FILE or set CLIPFORGE_VOCAB");
    tokenizer_ = std::make_unique<text::Tokenizer>(text::Tokenizer::from_file(path));
  }
  return *tokenizer_;
}

torch::Tensor Encoder::encode_pixels(const torch::Tensor& pixels) {
  c10::InferenceMode guard;
  return normalized_cpu(loaded_.model->encode_image(pixels.to(device_, dtype_)));
}

EncodedImages Encoder::encode_images(const std::vector<std::string>& paths, std::ostream& warnings) {
  c10::InferenceMode guard;
  EncodedImages result;
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < paths.size(); start += options_.batch_size) {
    const size_t end = std::min(paths.size(), start + static_cast<size_t>(options_.batch_size));
    ImageBatch batch = load_image_batch({paths.begin() + start, paths.begin() + end}, image_size(), options_.max_image_pixels, warnings);
    if (batch.paths.empty()) continue;
    parts.push_back(encode_pixels(batch.pixels));
    result.paths.insert(result.paths.end(), batch.paths.begin(), batch.paths.end());
    for (size_t index : batch.indices) result.indices.push_back(start + index);
  }
  result.features = parts.empty() ? torch::empty({0, loaded_.config.embed_dim}) : torch::cat(parts);
  return result;
}

torch::Tensor Encoder::encode_texts(const std::vector<std::string>& texts, std::ostream& warnings) {
  const text::Tokenizer& tok = tokenizer();
  const int context = loaded_.config.text.context_length;
  for (const auto& text : texts) {
    const size_t bpe = tok.encode_bpe(text).size();
    if (bpe == 0)
      warnings << "clipforge: warning: empty text '" << text << "': encoded as start and end of text only\n";
    else if (bpe + 2 > static_cast<size_t>(context))
      warnings << "clipforge: warning: text of " << bpe << " tokens truncated to the context of " << context
               << " (end of text kept): '" << text.substr(0, 60) << (text.size() > 60 ? "...'" : "'") << "\n";
  }
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < texts.size(); start += options_.batch_size) {
    const size_t end = std::min(texts.size(), start + static_cast<size_t>(options_.batch_size));
    parts.push_back(encode_tokens(tokenize({texts.begin() + start, texts.begin() + end})));
  }
  return parts.empty() ? torch::empty({0, loaded_.config.embed_dim}) : torch::cat(parts);
}

torch::Tensor Encoder::tokenize(const std::vector<std::string>& texts) {
  const int context = loaded_.config.text.context_length;
  std::vector<int32_t> ids = tokenizer().encode_batch(texts, context);
  return torch::from_blob(ids.data(), {static_cast<int64_t>(texts.size()), context}, torch::kInt).to(torch::kLong);
}

torch::Tensor Encoder::encode_tokens(const torch::Tensor& tokens) {
  c10::InferenceMode guard;
  ++text_tower_calls_;
  return normalized_cpu(loaded_.model->encode_text(tokens.to(device_, torch::kLong)));
}

std::string Encoder::classifier_key(const std::vector<std::string>& classes, const std::vector<std::string>& templates) const {
  return classifier_cache_key({model_config_to_json(loaded_.config).dump(), options_.weights, vocab_path(), options_.precision},
                              classes, templates);
}

torch::Tensor Encoder::zeroshot_classifier(const std::vector<std::string>& classes, const std::vector<std::string>& templates) {
  validate_zeroshot_inputs(classes, templates);
  const text::Tokenizer& tok = tokenizer();
  c10::InferenceMode guard;
  ++text_tower_calls_;
  return clipforge::zeroshot_classifier(loaded_.model, tok, classes, templates, options_.batch_size).cpu();
}

}  // namespace clipforge

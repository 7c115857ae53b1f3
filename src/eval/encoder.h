// A loaded CLIP model with its tokenizer, device and precision: the one place where the
// inference commands (zeroshot, embed, score, rerank) turn files and strings into normalised
// embeddings.
//
//   Encoder encoder({.model = "ViT-B-32", .weights = "ViT-B-32.pt", .vocab = "bpe.txt.gz"});
//   EncodedImages images = encoder.encode_images({"cat.jpg", "dog.png"}, std::cerr);
//   torch::Tensor text = encoder.encode_texts({"a photo of a cat"}, std::cerr);
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "eval/encoder_options.h"
#include "model/load.h"
#include "text/tokenizer.h"

namespace clipforge {

struct EncodedImages {
  torch::Tensor features;          // [kept, embed_dim] float32 on CPU, L2-normalised
  std::vector<std::string> paths;  // rows of `features`; unreadable files are left out
  std::vector<size_t> indices;     // their positions in the input list
};

class Encoder {
 public:
  // Throws input_error for a missing weights file, mismatch_error for weights that do not fit
  // the config, usage_error for a bad device or precision.
  explicit Encoder(const EncoderOptions& options);

  const LoadedModel& loaded() const { return loaded_; }
  const EncoderOptions& options() const { return options_; }
  int image_size() const { return loaded_.config.vision.image_size; }
  double logit_scale() const;

  // Images in batches of batch_size; skipped files are reported on `warnings`.
  EncodedImages encode_images(const std::vector<std::string>& paths, std::ostream& warnings);

  // Normalised model inputs [n, 3, size, size] (float32, any device) -> features as above.
  torch::Tensor encode_pixels(const torch::Tensor& pixels);

  // Token ids [n, context] (any integer type, any device) -> features as above.
  torch::Tensor encode_tokens(const torch::Tensor& tokens);

  // The texts' ids [n, context] int64 on CPU: what encode_tokens takes.
  torch::Tensor tokenize(const std::vector<std::string>& texts);

  // Texts tokenised to the model's context. An empty text or one longer than the context is
  // encoded anyway (truncated, end-of-text kept) and reported on `warnings`.
  torch::Tensor encode_texts(const std::vector<std::string>& texts, std::ostream& warnings);

  // The prompt-ensembled zero-shot classifier [classes, embed_dim] (see zeroshot.h).
  torch::Tensor zeroshot_classifier(const std::vector<std::string>& classes, const std::vector<std::string>& templates);

  // The key of a zero-shot classifier of this model, weights, vocabulary and precision for these
  // classes and templates (see classifier_cache.h).
  std::string classifier_key(const std::vector<std::string>& classes, const std::vector<std::string>& templates) const;

  // How many times the text tower ran: lets callers (and tests) prove a cache was used.
  int64_t text_tower_calls() const { return text_tower_calls_; }

  // Loads the vocabulary on first use. A server calls it once before sharing the Encoder between
  // threads: after that every use is const and thread-safe (see text/tokenizer.h).
  const text::Tokenizer& tokenizer();

  // The vocabulary file in use ($CLIPFORGE_VOCAB when options.vocab is empty); "" if none.
  std::string vocab_path() const;

 private:
  EncoderOptions options_;
  LoadedModel loaded_;
  c10::Device device_;
  torch::ScalarType dtype_;
  std::unique_ptr<text::Tokenizer> tokenizer_;  // loaded on first use: a cached classifier needs none
  int64_t text_tower_calls_ = 0;
};

}  // namespace clipforge

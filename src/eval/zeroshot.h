// Zero-shot classification: class names and prompt templates become a linear classifier in the
// shared embedding space.
//
//   auto templates = builtin_templates("small");
//   torch::Tensor classifier = zeroshot_classifier(model, tokenizer, {"cat", "dog"}, templates);
//   torch::Tensor logits = model->logit_scale.exp() * l2_normalize(image_features).matmul(classifier.t());
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/clip.h"
#include "text/tokenizer.h"

namespace clipforge {

// "general" (a broad set of photo/drawing/rendering prompts) or "small" (three plain prompts),
// written for clipforge. Throws usage_error for another name.
std::vector<std::string> builtin_templates(const std::string& name);

// --classes: a file with one name per line, else a comma-separated list ("cat,dog").
std::vector<std::string> read_class_names(const std::string& value);

// --templates: a literal template containing "{}", a file with one template per line, or the
// name of a built-in set.
std::vector<std::string> resolve_templates(const std::string& value);

// The class index a labelled sample's .json names: {"label": 3} (an index into `classes`) or
// {"label": "cat"} (a name in it). -1 for no .json, no label, or one outside `classes`.
int sample_label(const std::string& sample_json, const std::vector<std::string>& classes);

// Each template must contain "{}", each class name must be non-empty: usage_error otherwise.
void validate_zeroshot_inputs(const std::vector<std::string>& classes, const std::vector<std::string>& templates);

// Every template filled with every class name, class-major: [c0 t0, c0 t1, ..., c1 t0, ...].
std::vector<std::string> zeroshot_prompts(const std::vector<std::string>& classes, const std::vector<std::string>& templates);

// One class's row of the classifier from the normalised features of its prompts, in one or more
// parts ([some templates, embed_dim] each, summed part by part): their mean, renormalised.
torch::Tensor ensemble_prompts(const std::vector<torch::Tensor>& parts, int64_t templates);

// [classes, embed_dim]: per class, the normalised text features of every template filled with
// the class name, averaged, renormalised (CLIP's prompt ensembling). Runs without autograd.
torch::Tensor zeroshot_classifier(CLIP& model, const text::Tokenizer& tokenizer, const std::vector<std::string>& classes,
                                  const std::vector<std::string>& templates, int batch_size = 256);

// Per image (row of logits [n, classes]), its top_k classes best first:
// [[{"label", "probability", "logit"}, ...], ...], probabilities from the softmax over all classes.
nlohmann::json top_predictions(const torch::Tensor& logits, const std::vector<std::string>& classes, int top_k);

// Top-1/top-5 accuracy, per-class accuracy and the confusion matrix for logits [n, classes]
// and integer labels [n].
nlohmann::json classification_metrics(const torch::Tensor& logits, const torch::Tensor& labels,
                                      const std::vector<std::string>& classes);

}  // namespace clipforge

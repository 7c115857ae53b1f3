#include "eval/zeroshot.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace clipforge {

std::vector<std::string> builtin_templates(const std::string& name) {
  if (name == "small") return {"a photo of a {}.", "a picture of the {}.", "an image showing a {}."};
  if (name == "general")
    return {"a photo of a {}.",          "a blurry photo of a {}.",      "a close-up photo of the {}.",
            "a bright photo of a {}.",   "a dark photo of the {}.",      "a cropped photo of a {}.",
            "a photo of a small {}.",    "a photo of a large {}.",       "a black and white photo of a {}.",
            "a drawing of a {}.",        "a sketch of the {}.",          "a painting of a {}.",
            "a 3d rendering of a {}.",   "a cartoon {}.",                "a low resolution photo of a {}.",
            "a good photo of the {}.",   "a photo of one {}.",           "a photo of many {}.",
            "a {} in a video game.",     "an origami {}.",               "a toy {}.",
            "itap of a {}.",             "a photo of the weird {}.",     "art of the {}."};
  throw usage_error("unknown template set '" + name + "' (built in: general, small; or a file with one template per line)");
}

std::vector<std::string> read_class_names(const std::string& value) {
  if (file_exists(value)) return read_lines(value);
  std::vector<std::string> names;
  if (value.empty()) return names;
  std::istringstream in(value);
  std::string name;
  while (std::getline(in, name, ',')) names.push_back(name);
  if (value.back() == ',') names.emplace_back();
  return names;
}

std::vector<std::string> resolve_templates(const std::string& value) {
  if (value.find("{}") != std::string::npos) return {value};
  if (file_exists(value)) return read_lines(value);
  return builtin_templates(value);
}

int sample_label(const std::string& sample_json, const std::vector<std::string>& classes) {
  if (sample_json.empty()) return -1;
  const auto j = nlohmann::json::parse(sample_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("label")) return -1;
  const auto& label = j.at("label");
  if (label.is_number_integer()) {
    const int64_t index = label.get<int64_t>();
    return index >= 0 && index < static_cast<int64_t>(classes.size()) ? static_cast<int>(index) : -1;
  }
  if (label.is_string()) {
    const auto it = std::find(classes.begin(), classes.end(), label.get<std::string>());
    return it == classes.end() ? -1 : static_cast<int>(it - classes.begin());
  }
  return -1;
}

void validate_zeroshot_inputs(const std::vector<std::string>& classes, const std::vector<std::string>& templates) {
  if (classes.empty()) throw usage_error("no class names given");
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i].find_first_not_of(" \t") == std::string::npos)
      throw usage_error("class " + std::to_string(i + 1) + " has an empty name");
  if (templates.empty()) throw usage_error("no prompt templates given");
  for (const auto& t : templates)
    if (t.find("{}") == std::string::npos) throw usage_error("template '" + t + "' has no {} for the class name");
}

std::vector<std::string> zeroshot_prompts(const std::vector<std::string>& classes, const std::vector<std::string>& templates) {
  std::vector<std::string> prompts;
  prompts.reserve(classes.size() * templates.size());
  for (const auto& name : classes)
    for (const auto& templ : templates) {
      std::string prompt = templ;
      prompt.replace(prompt.find("{}"), 2, name);
      prompts.push_back(std::move(prompt));
    }
  return prompts;
}

torch::Tensor ensemble_prompts(const std::vector<torch::Tensor>& parts, int64_t templates) {
  torch::Tensor sum;
  for (const auto& part : parts) sum = sum.defined() ? sum + part.sum(0) : part.sum(0);
  return l2_normalize(sum / static_cast<double>(templates));
}

torch::Tensor zeroshot_classifier(CLIP& model, const text::Tokenizer& tokenizer, const std::vector<std::string>& classes,
                                  const std::vector<std::string>& templates, int batch_size) {
  validate_zeroshot_inputs(classes, templates);
  torch::NoGradGuard no_grad;
  const int context = model->config().text.context_length;
  const auto device = model->text_projection.device();
  const std::vector<std::string> prompts = zeroshot_prompts(classes, templates);
  std::vector<torch::Tensor> rows;
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<torch::Tensor> parts;
    for (size_t start = 0; start < templates.size(); start += batch_size) {
      const size_t end = std::min(templates.size(), start + static_cast<size_t>(batch_size));
      const auto first = prompts.begin() + static_cast<std::ptrdiff_t>(c * templates.size());
      std::vector<int32_t> ids = tokenizer.encode_batch({first + start, first + end}, context);
      torch::Tensor tokens = torch::from_blob(ids.data(), {static_cast<int64_t>(end - start), context}, torch::kInt)
                                 .to(device, torch::kLong);
      parts.push_back(l2_normalize(model->encode_text(tokens).to(torch::kFloat)));
    }
    rows.push_back(ensemble_prompts(parts, static_cast<int64_t>(templates.size())));
  }
  return torch::stack(rows);  // [classes, embed_dim]
}

nlohmann::json top_predictions(const torch::Tensor& logits, const std::vector<std::string>& classes, int top_k) {
  const int64_t k = std::min<int64_t>(top_k, logits.size(1));
  const auto [top_probabilities, top_index] = logits.softmax(1).topk(k, 1);
  auto p = top_probabilities.accessor<float, 2>();
  auto index = top_index.accessor<int64_t, 2>();
  auto l = logits.accessor<float, 2>();
  nlohmann::json all = nlohmann::json::array();
  for (int64_t i = 0; i < logits.size(0); ++i) {
    nlohmann::json predictions = nlohmann::json::array();
    for (int64_t j = 0; j < k; ++j)
      predictions.push_back({{"label", classes[index[i][j]]}, {"probability", p[i][j]}, {"logit", l[i][index[i][j]]}});
    all.push_back(std::move(predictions));
  }
  return all;
}

nlohmann::json classification_metrics(const torch::Tensor& logits, const torch::Tensor& labels,
                                      const std::vector<std::string>& classes) {
  const int64_t n = logits.size(0), c = logits.size(1);
  torch::Tensor labels_long = labels.to(torch::kLong);
  const int64_t k = std::min<int64_t>(5, c);
  torch::Tensor top = std::get<1>(logits.topk(k, 1));  // [n, k]
  torch::Tensor hit = top.eq(labels_long.unsqueeze(1));
  torch::Tensor predicted = top.select(1, 0);
  std::vector<std::vector<int64_t>> confusion(c, std::vector<int64_t>(c, 0));
  auto l = labels_long.accessor<int64_t, 1>();
  auto p = predicted.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) confusion[l[i]][p[i]]++;
  nlohmann::json per_class = nlohmann::json::object();
  for (int64_t i = 0; i < c; ++i) {
    int64_t total = 0;
    for (int64_t j = 0; j < c; ++j) total += confusion[i][j];
    per_class[classes[i]] = total ? static_cast<double>(confusion[i][i]) / total : 0.0;
  }
  return {{"top1", hit.select(1, 0).to(torch::kFloat).mean().item<double>()},
          {"top5", hit.any(1).to(torch::kFloat).mean().item<double>()},
          {"samples", n},
          {"per_class_top1", per_class},
          {"confusion", confusion}};
}

}  // namespace clipforge

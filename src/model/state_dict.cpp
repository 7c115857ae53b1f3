#include "model/state_dict.h"

#include <set>
#include <sstream>

#include "core/error.h"

namespace clipforge {

NamedTensors state_dict(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& item : module.named_modules()) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) out.emplace_back(prefix + p.key(), p.value());
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) out.emplace_back(prefix + b.key(), b.value());
  }
  return out;
}

std::string shape_string(const torch::IntArrayRef& sizes) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < sizes.size(); ++i) s << (i ? ", " : "") << sizes[i];
  s << "]";
  return s.str();
}

namespace {

// "3 missing keys: a, b, c" with at most a handful of names, so the line stays readable.
std::string describe(const std::string& what, const std::vector<std::string>& items) {
  constexpr size_t kShown = 6;
  std::string text = std::to_string(items.size()) + " " + what + ": ";
  for (size_t i = 0; i < items.size() && i < kShown; ++i) text += (i ? ", " : "") + items[i];
  if (items.size() > kShown) text += ", ... (" + std::to_string(items.size() - kShown) + " more)";
  return text;
}

}  // namespace

void load_state_dict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& tensors,
                     const std::string& source) {
  NamedTensors targets = state_dict(module);
  std::vector<std::string> missing, mismatched, unexpected;
  std::set<std::string> known;
  for (const auto& [name, target] : targets) {
    known.insert(name);
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      missing.push_back(name);
    } else if (it->second.sizes() != target.sizes()) {
      mismatched.push_back(name + " " + shape_string(it->second.sizes()) + " vs model " + shape_string(target.sizes()));
    }
  }
  for (const auto& entry : tensors)
    if (!known.count(entry.first)) unexpected.push_back(entry.first);

  if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
    std::vector<std::string> parts;
    if (!missing.empty()) parts.push_back(describe("missing keys", missing));
    if (!unexpected.empty()) parts.push_back(describe("unexpected keys", unexpected));
    if (!mismatched.empty()) parts.push_back(describe("shape mismatches", mismatched));
    std::string message = source + ": weights do not match the model config: " + parts[0];
    for (size_t i = 1; i < parts.size(); ++i) message += "; " + parts[i];
    throw mismatch_error(message);
  }

  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    const torch::Tensor& value = tensors.at(name);
    if (value.is_floating_point() != target.is_floating_point())
      throw mismatch_error(source + ": " + name + ": dtype " + std::string(c10::toString(value.scalar_type())) +
                           " cannot be loaded into " + c10::toString(target.scalar_type()));
    target.copy_(value);
  }
}

}  // namespace clipforge

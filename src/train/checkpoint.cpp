#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"
#include "model/load.h"
#include "model/safetensors.h"
#include "model/torch_compat.h"

namespace clipforge {
namespace fs = std::filesystem;

namespace {

constexpr const char* kStateKey = "training_state";
constexpr const char* kLatestFile = "latest";

std::string stem_for(int64_t step) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "step_%08lld", static_cast<long long>(step));
  return buffer;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string directory, int keep_last)
    : directory_(std::move(directory)), keep_last_(std::max(1, keep_last)) {
  fs::create_directories(directory_);
  // Temporary files of a write that was killed are garbage: the pair they belonged to was
  // never pointed at.
  remove_stale_temp_files(directory_);
}

std::string CheckpointStore::weights_path(const std::string& stem) const {
  return directory_ + "/" + stem + ".safetensors";
}

void CheckpointStore::save(const CLIP& model, const NamedOptimizer& opt, const TrainingState& state) const {
  const std::string stem = stem_for(state.step);
  save_model(weights_path(stem), model);

  NamedTensors tensors;
  nlohmann::json steps = nlohmann::json::object();
  const auto& optimizer_state = opt.optimizer->state();
  for (size_t i = 0; i < opt.parameters.size(); ++i) {
    auto it = optimizer_state.find(optimizer_state_key(*opt.optimizer, opt.parameters[i]));
    if (it == optimizer_state.end()) continue;  // no step taken for it yet
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    tensors.emplace_back(opt.names[i] + ".exp_avg", s.exp_avg());
    tensors.emplace_back(opt.names[i] + ".exp_avg_sq", s.exp_avg_sq());
    steps[opt.names[i]] = s.step();
  }
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    tensors.emplace_back("rng.cpu", generator.get_state());
  }
  nlohmann::json meta = {{"step", state.step},          {"epoch", state.epoch},   {"loader", state.loader},
                         {"extra", state.extra},        {"parameter_names", opt.names},
                         {"optimizer_steps", steps},    {"weights", stem + ".safetensors"}};
  write_safetensors(directory_ + "/" + stem + ".state.safetensors", tensors, {{kStateKey, meta.dump()}});

  write_file_atomic(directory_ + "/" + kLatestFile, stem + "\n");

  // Prune the oldest pairs beyond keep_last; `latest` already names the newest.
  std::vector<std::string> stems;
  for (const auto& entry : fs::directory_iterator(directory_)) {
    const std::string name = entry.path().filename().string();
    const std::string suffix = ".state.safetensors";
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      stems.push_back(name.substr(0, name.size() - suffix.size()));
  }
  std::sort(stems.begin(), stems.end());
  for (size_t i = 0; i + keep_last_ < stems.size(); ++i) {
    fs::remove(directory_ + "/" + stems[i] + ".state.safetensors");
    fs::remove(weights_path(stems[i]));
  }
}

std::optional<std::string> CheckpointStore::latest() const {
  const std::string path = directory_ + "/" + kLatestFile;
  if (!file_exists(path)) return std::nullopt;
  std::string stem = read_file(path);
  while (!stem.empty() && (stem.back() == '\n' || stem.back() == ' ')) stem.pop_back();
  if (stem.empty()) throw input_error(path + ": empty checkpoint pointer");
  return stem;
}

TrainingState CheckpointStore::load(const std::string& stem, CLIP& model, NamedOptimizer& opt) const {
  const std::string state_path = directory_ + "/" + stem + ".state.safetensors";
  SafetensorsFile file = read_safetensors(state_path);
  auto meta_it = file.metadata.find(kStateKey);
  if (meta_it == file.metadata.end()) throw input_error(state_path + ": no training_state metadata");
  const nlohmann::json meta = nlohmann::json::parse(meta_it->second);
  if (meta.at("parameter_names").get<std::vector<std::string>>() != opt.names)
    throw mismatch_error(state_path + ": the trained parameters differ from this run's (model or --lock-image changed?)");

  WeightsFile weights = read_weights(weights_path(stem));
  load_state_dict(*model, weights.tensors, weights_path(stem));

  std::map<std::string, torch::Tensor> tensors(file.tensors.begin(), file.tensors.end());
  auto& optimizer_state = opt.optimizer->state();
  optimizer_state.clear();
  const auto& steps = meta.at("optimizer_steps");
  for (size_t i = 0; i < opt.parameters.size(); ++i) {
    const std::string& name = opt.names[i];
    if (!steps.contains(name)) continue;
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(steps.at(name).get<int64_t>());
    s->exp_avg(tensors.at(name + ".exp_avg").to(opt.parameters[i].options()));
    s->exp_avg_sq(tensors.at(name + ".exp_avg_sq").to(opt.parameters[i].options()));
    optimizer_state[optimizer_state_key(*opt.optimizer, opt.parameters[i])] = std::move(s);
  }
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(tensors.at("rng.cpu"));
  }

  TrainingState state;
  state.step = meta.at("step").get<int64_t>();
  state.epoch = meta.at("epoch").get<int64_t>();
  state.loader = meta.at("loader");
  state.extra = meta.at("extra");
  return state;
}

}  // namespace clipforge

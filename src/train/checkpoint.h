// Training checkpoints that survive being killed at any moment.
//
// A checkpoint is two files in <run>/checkpoints/: `<stem>.safetensors` (the model weights with
// their config, loadable by `clipforge` and OpenCLIP alike) and `<stem>.state.safetensors`
// (optimizer moments, RNG state, and step/epoch/loader position as JSON metadata). Each file is
// written to a temporary name, fsynced and renamed; only then is the one-line `latest` file
// (atomically) pointed at the new stem. A kill at any instant leaves `latest` naming a complete
// pair, and a resumed run continues bit for bit.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "model/clip.h"
#include "train/optimizer.h"

namespace clipforge {

struct TrainingState {
  int64_t step = 0;         // optimizer steps taken
  int64_t epoch = 0;        // epoch the next batch belongs to
  nlohmann::json loader;    // the data loader's position
  nlohmann::json extra;     // anything else the loop must restore (loss scaler, counters)
};

class CheckpointStore {
 public:
  CheckpointStore(std::string directory, int keep_last);

  // Writes weights and state for `state.step`, points `latest` at them, then prunes to keep_last.
  void save(const CLIP& model, const NamedOptimizer& optimizer, const TrainingState& state) const;

  // The stem `latest` names, if a checkpoint was ever completed here.
  std::optional<std::string> latest() const;

  // Restores model weights, optimizer state and the CPU RNG from `stem`; returns the state.
  // The optimizer's parameter names must equal the saved ones (optimizer state is positional).
  TrainingState load(const std::string& stem, CLIP& model, NamedOptimizer& optimizer) const;

  std::string weights_path(const std::string& stem) const;
  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  int keep_last_;
};

}  // namespace clipforge

// The training loop behind `clipforge train`.
//
//   TrainConfig config;              // filled from the command line
//   config.validate();
//   nlohmann::json summary = train(config);
#pragma once

#include <nlohmann/json.hpp>

#include "train/train_config.h"

namespace clipforge {

// Runs (or resumes) the whole training described by `config` in <logs>/<name>/ and returns a
// summary: run folder, steps, final loss, last evaluation, final weights path.
nlohmann::json train(const TrainConfig& config);

}  // namespace clipforge

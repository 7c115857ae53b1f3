// Reading what a `clipforge train` run folder holds, for tests that compare runs.
#pragma once

#include <string>
#include <vector>

#include "model/state_dict.h"

namespace clipforge::testing {

// The stem the `latest` pointer of checkpoint folder `dir` names.
std::string latest_stem(const std::string& dir);

// "step loss" for every logged step of run folder `run`, in log order.
std::vector<std::string> loss_lines(const std::string& run);

// The weights of the run's latest checkpoint.
NamedTensors final_weights(const std::string& run);

// Files under `dir` (recursively; none when it does not exist) whose names mark an atomic write
// of process `pid` (any process when 0) still in flight, or cut short by a kill.
std::vector<std::string> temp_files_under(const std::string& dir, int pid = 0);

// Catch2 checks that two runs ended with the same final weights, bit for bit, and the same loss log.
void check_identical_runs(const std::string& run, const std::string& reference);

}  // namespace clipforge::testing

// The device a training process runs on, as torchrun and SLURM users expect it.
#pragma once

#include <c10/core/Device.h>

#include <string>

#include "dist/environment.h"

namespace clipforge {

// `requested` is --device: "cpu", "cuda" or "cuda:N". For "cuda", a single process takes device 0;
// in a distributed job each rank takes LOCAL_RANK among the visible devices, or device 0 when it
// sees exactly one (SLURM's --gpus-per-task / --gpu-bind give each task its own). "cuda:N" is
// honoured for one rank per node and refused for several, which would all share GPU N.
// `visible_devices` is the CUDA device count this process sees. Throws usage_error.
c10::Device choose_training_device(const std::string& requested, const DistEnvironment& env, int visible_devices);

}  // namespace clipforge

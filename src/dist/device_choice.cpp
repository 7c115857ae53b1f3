#include "dist/device_choice.h"

#include "core/error.h"
#include "model/runtime.h"

namespace clipforge {

c10::Device choose_training_device(const std::string& requested, const DistEnvironment& env, int visible_devices) {
  const c10::Device device = parse_device(requested, visible_devices);
  if (!device.is_cuda()) return device;
  if (requested != "cuda") {
    if (env.local_world_size > 1)
      throw usage_error("--device " + requested + " would put all " + std::to_string(env.local_world_size) +
                        " ranks of this node on one GPU: pass --device cuda to give each rank its own");
    return device;
  }
  if (!env.distributed() || visible_devices == 1) return device;
  if (env.local_rank >= visible_devices)
    throw usage_error("LOCAL_RANK " + std::to_string(env.local_rank) + " has no GPU: this process sees " +
                      std::to_string(visible_devices) + " CUDA devices (CUDA_VISIBLE_DEVICES?)");
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
}

}  // namespace clipforge

#include "model/runtime.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <torch/torch.h>
#include <torch/version.h>

#include <climits>

#include "core/error.h"
#include "core/machine_info.h"
#include "model/cpu_matmul.h"

namespace clipforge {
namespace {
bool g_large_allocations_on_heap = false;
}

void keep_large_allocations_on_heap() {
#if defined(__GLIBC__)
  // Without mmap, freed blocks at the top of the heap would still be trimmed back to the system
  // and faulted in again; the largest trim threshold mallopt takes (2 GiB) keeps them.
  g_large_allocations_on_heap = mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, INT_MAX) == 1;
#endif
}

void set_compute_threads(int threads) {
  const int n = threads > 0 ? threads : hardware_cores();
  torch::set_num_threads(n);
  // OpenBLAS keeps its own pool; looked up at run time so other BLAS builds still link.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(n);
}

c10::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) throw usage_error("--device " + name + ": CUDA is not available in this build or machine");
    int index = 0;
    if (name.size() > 4) {
      if (name[4] != ':') throw usage_error("--device " + name + ": expected cpu, cuda or cuda:N");
      try {
        index = std::stoi(name.substr(5));
      } catch (const std::exception&) {
        throw usage_error("--device " + name + ": expected cpu, cuda or cuda:N");
      }
    }
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
      throw usage_error("--device " + name + ": no such CUDA device");
    return c10::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw usage_error("--device " + name + ": expected cpu, cuda or cuda:N");
}

nlohmann::json runtime_description() {
  nlohmann::json cuda = {{"available", torch::cuda::is_available()}, {"devices", torch::cuda::device_count()}};
  return {{"libtorch", TORCH_VERSION},
          {"intra_op_threads", torch::get_num_threads()},
          {"interop_threads", torch::get_num_interop_threads()},
          {"cpu_matmul", cpu_matmul_library()},
          {"large_allocations", g_large_allocations_on_heap ? "heap" : "mmap"},
          {"cuda", cuda}};
}

}  // namespace clipforge

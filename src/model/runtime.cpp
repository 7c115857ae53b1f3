#include "model/runtime.h"

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <torch/torch.h>
#include <torch/version.h>
#include <ATen/detail/CUDAHooksInterface.h>

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
  const int n = threads > 0 ? threads : default_compute_threads();
  torch::set_num_threads(n);
  // OpenBLAS keeps its own pool; looked up at run time so other BLAS builds still link.
  using SetThreads = void (*)(int);
  if (auto set_blas = reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set_blas(n);
}

int visible_cuda_devices() { return torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0; }

c10::Device parse_device(const std::string& name) { return parse_device(name, visible_cuda_devices()); }

c10::Device parse_device(const std::string& name, int visible_devices) {
  if (name == "cpu") return torch::kCPU;
  const std::string expected = "--device " + name + ": expected cpu, cuda or cuda:N";
  if (name.rfind("cuda", 0) != 0) throw usage_error(expected);
  int index = 0;
  if (name != "cuda") {
    size_t used = 0;
    try {
      if (name[4] == ':') index = std::stoi(name.substr(5), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || 5 + used != name.size() || index < 0) throw usage_error(expected);
  }
  if (visible_devices < 1) throw usage_error("--device " + name + ": CUDA is not available in this build or machine");
  if (index >= visible_devices)
    throw usage_error("--device " + name + ": no such CUDA device (this process sees " + std::to_string(visible_devices) + ")");
  return c10::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void configure_cuda_math(bool tf32) {
  at::globalContext().setBenchmarkCuDNN(true);
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
}

namespace {

// CUDA's and cuDNN's integer versions (12040, 90190) as "12.4", "9.19.0".
std::string cuda_version_string(long v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }
std::string cudnn_version_string(long v) {
  // cuDNN 9 writes major*10000 + minor*100 + patch; 8 and earlier major*1000 + minor*100 + patch.
  const long major_scale = v >= 90000 ? 10000 : 1000;
  return std::to_string(v / major_scale) + "." + std::to_string(v % major_scale / 100) + "." + std::to_string(v % 100);
}

}  // namespace

nlohmann::json cuda_description() {
  nlohmann::json cuda = {{"built_with_cuda", false}, {"available", torch::cuda::is_available()},
                         {"devices", visible_cuda_devices()}, {"runtime", nullptr}, {"cudnn", nullptr}};
  // ATen's CUDA hooks are registered only when libtorch_cuda is loaded; a CPU-only LibTorch's
  // default hooks throw instead of answering.
  const auto& hooks = at::detail::getCUDAHooks();
  try {
    cuda["runtime"] = cuda_version_string(hooks.versionCUDART());
    cuda["built_with_cuda"] = true;
    if (hooks.compiledWithCuDNN()) cuda["cudnn"] = cudnn_version_string(hooks.versionCuDNN());
  } catch (const c10::Error&) {
  }
  return cuda;
}

namespace {

// ATen calls sgemm_ through the dynamic linker, so a BLAS loaded ahead of LibTorch answers it
// even where LibTorch carries MKL (PyPI's): cmake/torch_features.cmake links LibTorch first.
std::string aten_matmul_library() {
  // ATen's own library, found by one of its exported symbols (at::Context::hasMKL): a function
  // pointer taken here could be the executable's own PLT stub.
  const std::string blas = detect_blas().library;
  const bool inside = !blas.empty() && blas == library_defining("_ZN2at7Context6hasMKLEv");
  return at::hasMKL() && inside ? "MKL (inside LibTorch)" : "the system BLAS";
}

}  // namespace

nlohmann::json runtime_description() {
  const nlohmann::json cuda = cuda_description();
  return {{"libtorch", TORCH_VERSION},
          {"intra_op_threads", torch::get_num_threads()},
          {"interop_threads", torch::get_num_interop_threads()},
          {"aten_matmul", aten_matmul_library()},
          {"cpu_matmul", cpu_matmul_library()},
          {"large_allocations", g_large_allocations_on_heap ? "heap" : "mmap"},
          {"cuda", cuda}};
}

}  // namespace clipforge

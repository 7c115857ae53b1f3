#include "core/machine_info.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "core/error.h"

namespace clipforge {
namespace {

// A positive count from `name`, or 0 when it is unset. OpenMP and SLURM write lists such as
// "4,2" (nested levels) or "4(x2)" (per node): the first number is this level's.
int positive_count(const EnvLookup& lookup, const char* name) {
  const char* text = lookup(name);
  if (text == nullptr || *text == '\0') return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || value < 1 || value > 1 << 20 || (*end != '\0' && *end != ',' && *end != '('))
    throw usage_error("environment variable " + std::string(name) + "='" + text + "' is not a positive count");
  return static_cast<int>(value);
}

// Looks `name` up in `library` and its own dependencies only, so a BLAS that happens to be
// loaded by something else is not mistaken for the one serving sgemm.
template <typename Fn>
Fn find_symbol(const std::string& library, const char* name) {
  void* handle = ::dlopen(library.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return nullptr;
  Fn fn = reinterpret_cast<Fn>(::dlsym(handle, name));
  ::dlclose(handle);
  return fn;
}

std::string real_path(const char* path) {
  char buffer[PATH_MAX];
  return ::realpath(path, buffer) ? std::string(buffer) : std::string(path);
}

}  // namespace

std::string library_defining(const char* symbol) {
  void* address = ::dlsym(RTLD_DEFAULT, symbol);
  Dl_info where{};
  if (address == nullptr || ::dladdr(address, &where) == 0 || where.dli_fname == nullptr) return "";
  return real_path(where.dli_fname);
}

BlasInfo detect_blas() {
  BlasInfo info;
  // Ask the dynamic linker which loaded object answers sgemm_: that is the BLAS LibTorch's
  // matmuls really call, whatever the build configuration says.
  info.library = library_defining("sgemm_");
  if (info.library.empty()) {
    info.name = "none loaded";
    return info;
  }
  if (auto get_config = find_symbol<char* (*)()>(info.library, "openblas_get_config")) {
    info.name = "OpenBLAS";
    info.config = get_config();
    if (auto get_threads = find_symbol<int (*)()>(info.library, "openblas_get_num_threads")) info.threads = get_threads();
  } else if (auto mkl_threads = find_symbol<int (*)()>(info.library, "MKL_Get_Max_Threads")) {
    info.name = "MKL";
    info.threads = mkl_threads();
  } else if (info.library.find("/blas/") != std::string::npos) {
    info.name = "reference BLAS (netlib)";
  } else {
    info.name = info.library.substr(info.library.rfind('/') + 1);
  }
  return info;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

int hardware_cores() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

int rank_cpu_share(const EnvLookup& lookup, int cores) {
  if (const int cpus = positive_count(lookup, "SLURM_CPUS_PER_TASK")) return cpus;
  const int local_ranks = positive_count(lookup, "LOCAL_WORLD_SIZE");
  return std::max(1, cores / std::max(1, local_ranks));
}

int rank_cpu_share() { return rank_cpu_share(std::getenv, hardware_cores()); }

int default_compute_threads(const EnvLookup& lookup, int cores) {
  if (const int omp = positive_count(lookup, "OMP_NUM_THREADS")) return omp;
  return rank_cpu_share(lookup, cores);
}

int default_compute_threads() { return default_compute_threads(std::getenv, hardware_cores()); }

}  // namespace clipforge

// What the process actually runs on, read at run time (not from build flags): the BLAS library
// that serves sgemm, the CPU model and core count. Benchmarks and `clipforge info` print it.
#pragma once

#include <functional>
#include <string>

namespace clipforge {

struct BlasInfo {
  std::string name;     // "OpenBLAS", "MKL", "reference BLAS (netlib)", or the library file name
  std::string library;  // resolved path of the shared object that provides sgemm_
  std::string config;   // the library's own description, e.g. openblas_get_config()
  int threads = -1;     // the library's thread count when it reports one
};

BlasInfo detect_blas();

// The resolved path of the loaded shared object whose definition of `symbol` a call by that name
// reaches (the dynamic linker's global lookup order), or "" when no loaded object defines it.
std::string library_defining(const char* symbol);

std::string cpu_model();
int hardware_cores();

// Launchers say how many cores each process may use; a process that takes every core of the
// node instead oversubscribes it once per rank (8 ranks: 8x, twice that with as many loader
// threads). `lookup` reads an environment variable (std::getenv, or a table in tests).
using EnvLookup = std::function<const char*(const char*)>;

// The cores this process may use: SLURM_CPUS_PER_TASK when set, else the node's cores divided
// among its ranks (LOCAL_WORLD_SIZE from torchrun, else 1). Data loader threads default to it.
int rank_cpu_share(const EnvLookup& lookup, int cores);
int rank_cpu_share();

// Compute threads when none were asked for: OMP_NUM_THREADS when set (torchrun sets 1 for
// several ranks per node, as OpenMP itself would obey), else rank_cpu_share. A malformed value is
// a usage_error naming the variable.
int default_compute_threads(const EnvLookup& lookup, int cores);
int default_compute_threads();

}  // namespace clipforge

// What the process actually runs on, read at run time (not from build flags): the BLAS library
// that serves sgemm, the CPU model and core count. Benchmarks and `clipforge info` print it.
#pragma once

#include <string>

namespace clipforge {

struct BlasInfo {
  std::string name;     // "OpenBLAS", "MKL", "reference BLAS (netlib)", or the library file name
  std::string library;  // resolved path of the shared object that provides sgemm_
  std::string config;   // the library's own description, e.g. openblas_get_config()
  int threads = -1;     // the library's thread count when it reports one
};

BlasInfo detect_blas();
std::string cpu_model();
int hardware_cores();

}  // namespace clipforge

// Process-wide compute settings (threads, device) and a description of them for logs and
// benchmarks.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace c10 {
struct Device;
}

namespace clipforge {

// Sets LibTorch's intra-op threads and OpenBLAS's threads to `threads` (0 = one per hardware
// core). Both matter: matmuls run on OpenBLAS's pool, every other op on LibTorch's.
void set_compute_threads(int threads);

// "cpu", "cuda" or "cuda:N"; throws usage_error for anything else or CUDA without a GPU.
c10::Device parse_device(const std::string& name);

// {"libtorch": version, "intra_op_threads": N, "interop_threads": N, "cuda": {...}}
nlohmann::json runtime_description();

}  // namespace clipforge

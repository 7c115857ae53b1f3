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

// glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh mapping
// and unmaps it on free, so the large activations of a batch are page-faulted in again on every
// forward pass (5-6% of a ViT-B-32 forward on 2-core machines). This keeps them on the heap, where
// freed blocks are reused; the process keeps its peak heap instead of returning it. Call once,
// before the first tensor; a no-op without glibc.
void keep_large_allocations_on_heap();

// "cpu", "cuda" or "cuda:N"; throws usage_error for anything else or CUDA without a GPU.
c10::Device parse_device(const std::string& name);

// {"libtorch": version, "intra_op_threads": N, "interop_threads": N, "cpu_matmul": library,
//  "large_allocations": "heap" or "mmap", "cuda": {...}}
nlohmann::json runtime_description();

}  // namespace clipforge

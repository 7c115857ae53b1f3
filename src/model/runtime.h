// Process-wide compute settings (threads, device) and a description of them for logs and
// benchmarks.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace c10 {
struct Device;
}

namespace clipforge {

// Sets LibTorch's intra-op threads and OpenBLAS's threads to `threads` (0 =
// default_compute_threads(): OMP_NUM_THREADS, else this rank's share of the cores). Both matter:
// matmuls run on OpenBLAS's pool, every other op on LibTorch's.
void set_compute_threads(int threads);

// glibc serves every allocation above its mmap threshold (at most 32 MiB) with a fresh mapping
// and unmaps it on free, so the large activations of a batch are page-faulted in again on every
// forward pass (5-6% of a ViT-B-32 forward on 2-core machines). This keeps them on the heap, where
// freed blocks are reused; the process keeps its peak heap instead of returning it. Call once,
// before the first tensor; a no-op without glibc.
void keep_large_allocations_on_heap();

// "cpu", "cuda" (device 0) or "cuda:N"; throws usage_error for anything else, or for a CUDA
// device this process cannot see (`visible_devices` of them; the first form asks LibTorch).
c10::Device parse_device(const std::string& name);
c10::Device parse_device(const std::string& name, int visible_devices);
int visible_cuda_devices();

// CUDA math as OpenCLIP sets it up: cuDNN picks the fastest convolution algorithm for each shape
// (shapes repeat every step), and float32 matmuls and convolutions may run on TF32 tensor cores
// (10-bit mantissa inputs, float32 accumulation) unless `tf32` is false. Process-wide flags that
// only CUDA reads.
void configure_cuda_math(bool tf32);

// {"built_with_cuda": bool, "available": bool, "devices": N, "runtime": "13.0" or null,
//  "cudnn": "9.19.0" or null}: what LibTorch was built with and what this machine offers.
nlohmann::json cuda_description();

// {"libtorch": version, "aten_matmul": "MKL (inside LibTorch)" or "the system BLAS",
//  "intra_op_threads": N, "interop_threads": N, "cpu_matmul": library,
//  "large_allocations": "heap" or "mmap", "cuda": {...}}
nlohmann::json runtime_description();

}  // namespace clipforge

// Float32 matrix products on the CPU through oneDNN's JIT sgemm. On these AVX2 machines it runs the
// transformer's linear layers ~1.25x and the per-head attention products ~2.5x faster than
// OpenBLAS reached through ATen (docs/model.md, "CPU kernels"), and it reads strided operands in place, so
// q, k and v are used straight from the fused qkv projection without copies.
#pragma once

#include <string>

#include <torch/types.h>

namespace clipforge {

// True when this build has oneDNN and x is a float32 CPU tensor outside autocast: the inputs the
// CPU kernels (linear, attention) take. Everything else (CUDA, bf16, builds without oneDNN) goes
// through ATen.
bool cpu_kernels_apply(const torch::Tensor& x);

// c = alpha * a @ b + beta * c for every index of the leading (batch) dimensions, which a, b and c
// share. The last two dimensions of a and b are matrices with unit stride along either dimension
// (a transposed view is fine), c's rows are unit-stride. Batches are split across the intra-op threads;
// one matrix uses them all. Requires cpu_kernels_apply.
void matmul_into(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c, float alpha = 1.0f,
                 float beta = 0.0f);

// "oneDNN 2.6.3" or "ATen" (the BLAS then is the one reported beside it): for bench reports.
std::string cpu_matmul_library();

}  // namespace clipforge

#include "model/cpu_matmul.h"

#include <ATen/Parallel.h>

#include "clipforge/cpu_kernels.h"
#include "model/torch_compat.h"

#if CLIPFORGE_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

namespace clipforge {

#if CLIPFORGE_HAVE_DNNL

namespace {

// One operand's matrix as sgemm reads it: row-major with leading dimension `ld`, transposed or not.
struct MatrixView {
  char trans;
  int64_t ld;
};

MatrixView matrix_view(const torch::Tensor& m) {
  const int64_t rows = m.size(-2), cols = m.size(-1);
  // Rows (or, transposed, columns) must not overlap: an expanded operand would need a copy first.
  if ((m.stride(-1) == 1 || cols == 1) && (rows == 1 || m.stride(-2) >= cols))
    return {'N', rows == 1 ? std::max<int64_t>(cols, 1) : m.stride(-2)};
  if ((m.stride(-2) == 1 || rows == 1) && (cols == 1 || m.stride(-1) >= rows))
    return {'T', cols == 1 ? std::max<int64_t>(rows, 1) : m.stride(-1)};
  TORCH_CHECK(false, "matmul_into: a matrix needs unit stride along one dimension and no overlap, got sizes ",
              m.sizes(), " and strides ", m.strides());
}

// Element offset of batch item `index` (row-major over the leading dimensions) in t.
int64_t batch_offset(const torch::Tensor& t, int64_t index) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 3; d >= 0; --d) {
    offset += (index % t.size(d)) * t.stride(d);
    index /= t.size(d);
  }
  return offset;
}

}  // namespace

bool cpu_kernels_apply(const torch::Tensor& x) {
  return x.is_cpu() && x.scalar_type() == torch::kFloat && !autocast_enabled(c10::DeviceType::CPU);
}

void matmul_into(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& c, float alpha, float beta) {
  TORCH_CHECK(a.dim() == b.dim() && a.dim() == c.dim() && a.dim() >= 2, "matmul_into: operands of ", a.dim(), ", ",
              b.dim(), " and ", c.dim(), " dimensions");
  TORCH_CHECK(a.size(-1) == b.size(-2) && a.size(-2) == c.size(-2) && b.size(-1) == c.size(-1),
              "matmul_into: shapes ", a.sizes(), " x ", b.sizes(), " -> ", c.sizes());
  TORCH_CHECK(a.sizes().slice(0, a.dim() - 2) == c.sizes().slice(0, c.dim() - 2) &&
                  b.sizes().slice(0, b.dim() - 2) == c.sizes().slice(0, c.dim() - 2),
              "matmul_into: batch shapes differ: ", a.sizes(), " x ", b.sizes(), " -> ", c.sizes());
  TORCH_CHECK(cpu_kernels_apply(a) && cpu_kernels_apply(b) && cpu_kernels_apply(c), "matmul_into: float32 CPU tensors only");
  const int64_t m = c.size(-2), n = c.size(-1), k = a.size(-1);
  const int64_t batch = c.numel() / std::max<int64_t>(m * n, 1);
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0) {
    c.mul_(beta);
    return;
  }
  const MatrixView va = matrix_view(a), vb = matrix_view(b), vc = matrix_view(c);
  TORCH_CHECK(vc.trans == 'N', "matmul_into: the output's rows must be unit-stride, got strides ", c.strides());
  const int64_t ldc = vc.ld;
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  auto run = [&](int64_t i) {
    const dnnl_status_t status = dnnl_sgemm(va.trans, vb.trans, m, n, k, alpha, pa + batch_offset(a, i), va.ld,
                                            pb + batch_offset(b, i), vb.ld, beta, pc + batch_offset(c, i), ldc);
    TORCH_CHECK(status == dnnl_success, "oneDNN sgemm failed with status ", static_cast<int>(status));
  };
  if (batch == 1) {
    run(0);  // oneDNN splits one product across the threads itself
    return;
  }
  // Inside a parallel region oneDNN runs single-threaded: one whole product per thread.
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) run(i);
  });
}

std::string cpu_matmul_library() {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

#else

bool cpu_kernels_apply(const torch::Tensor&) { return false; }

void matmul_into(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, float, float) {
  TORCH_CHECK(false, "matmul_into: this build has no oneDNN (cpu_kernels_apply is false)");
}

std::string cpu_matmul_library() { return "ATen"; }

#endif

}  // namespace clipforge

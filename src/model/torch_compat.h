// The one place where LibTorch versions differ for clipforge: Debian's 1.13 and current 2.x
// (built and tested: 2.11). Everything else calls these and stays free of version checks.
//
//   AutocastState saved = AutocastState::current();   // both device types, enabled and dtype
//   ...
//   saved.apply();
#pragma once

#include <ATen/autocast_mode.h>
#include <torch/types.h>
#include <torch/version.h>

#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// LibTorch major.minor at least the given one.
#define CLIPFORGE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace c10d {
class Backend;
class ProcessGroup;
}  // namespace c10d

namespace clipforge {

// Since 2.0, Gloo and NCCL are c10d::Backend objects under a dispatching ProcessGroup; in 1.13
// they were ProcessGroups themselves. clipforge calls one backend's collectives directly.
#if CLIPFORGE_TORCH_AT_LEAST(2, 0)
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

// 1.13's unpickler lacks opcode 's' (SETITEM), which torch 2.x's pickler writes for one-entry
// dicts (in optimizer state, for one): what to add to the error, "" where the reader has it.
inline std::string unpickle_failure_hint([[maybe_unused]] const std::string& reason) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 0)
  return "";
#else
  return reason.find("Unknown opcode") == std::string::npos
             ? ""
             : "; LibTorch 1.13 cannot unpickle this file from a newer torch: use clipforge built on LibTorch 2.x";
#endif
}

// 2.4 replaced the per-device autocast calls (is_cpu_enabled, set_autocast_gpu_dtype, ...) by
// calls taking the device type, and deprecates the old ones with a warning on every call.
inline bool autocast_enabled(c10::DeviceType device) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

inline c10::ScalarType autocast_dtype(c10::DeviceType device) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(device);
#else
  return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(device, enabled);
  at::autocast::set_autocast_dtype(device, dtype);
#else
  if (device == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

// Autocast is thread-local state that autograd does not carry into backward: code that replays
// a forward pass there (gradient checkpointing) restores what the forward pass saw, for CPU and
// CUDA alike.
struct AutocastState {
  bool cpu = false, cuda = false;
  c10::ScalarType cpu_dtype = c10::kBFloat16, cuda_dtype = c10::kHalf;

  static AutocastState current() {
    return {autocast_enabled(c10::DeviceType::CPU), autocast_enabled(c10::DeviceType::CUDA),
            autocast_dtype(c10::DeviceType::CPU), autocast_dtype(c10::DeviceType::CUDA)};
  }
  void apply() const {
    set_autocast(c10::DeviceType::CPU, cpu, cpu_dtype);
    set_autocast(c10::DeviceType::CUDA, cuda, cuda_dtype);
  }
};

// The key of a parameter in torch::optim::Optimizer::state(): the address of its TensorImpl,
// as a string in 1.13 and as the pointer itself in 2.x.
template <typename Optimizer>
auto optimizer_state_key(const Optimizer& optimizer, const torch::Tensor& parameter) {
  using Key = typename std::decay_t<decltype(optimizer.state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream address;  // as 1.13's c10::guts::to_string writes it
    address << parameter.unsafeGetTensorImpl();
    return address.str();
  } else {
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
  }
}

// LibTorch's multi-tensor AdamW kernel (decoupled weight decay, no amsgrad), on CUDA and CPU
// from 2.4. Call fused_adamw only where kHasFusedAdamW holds. `steps` hold the steps taken so far
// and come back one higher: the kernel reads the count of the step it makes, as torch.optim.AdamW
// (fused=True) increments them before calling it.
constexpr bool kHasFusedAdamW = CLIPFORGE_TORCH_AT_LEAST(2, 4);

inline void fused_adamw(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads,
                        const std::vector<torch::Tensor>& exp_avgs, const std::vector<torch::Tensor>& exp_avg_sqs,
                        const std::vector<torch::Tensor>& steps, double lr, double beta1, double beta2,
                        double weight_decay, double eps) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 4)
  at::_foreach_add_(steps, 1);
  at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, beta1, beta2,
                    weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
#else
  TORCH_CHECK(false, "fused_adamw: this LibTorch has no fused AdamW kernel for every device");
#endif
}

// Divides every gradient by `scale` in place and returns a one-element float tensor on their
// device that is non-zero when any of them holds an inf or NaN: no host synchronisation until
// the caller reads it. `grads` share one device and dtype. 2.x has a fused kernel for it on CUDA
// and CPU; 1.13 only on CUDA, so there it is a kernel or two per gradient.
inline torch::Tensor unscale_and_find_nonfinite(std::vector<torch::Tensor>& grads, double scale) {
  torch::Tensor found = torch::zeros({1}, grads.at(0).options().dtype(torch::kFloat));
#if CLIPFORGE_TORCH_AT_LEAST(2, 0)
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found, torch::full({1}, 1.0 / scale, found.options()));
#else
  for (auto& g : grads) {
    g.div_(scale);
    found.add_(torch::isfinite(g).logical_not().any());
  }
#endif
  return found;
}

// Sets the scores of keys after each query to -inf, in place: [..., queries, keys] with queries
// and keys aligned at the start. exp then gives them exactly zero weight, in backward too.
inline void mask_later_keys_(torch::Tensor& scores) {
  const int64_t queries = scores.size(-2), keys = scores.size(-1);
  scores.masked_fill_(torch::ones({queries, keys}, scores.options().dtype(torch::kBool)).triu(1), -INFINITY);
}

// softmax(q k^T / sqrt(head_dim)) v over [batch, heads, tokens, head_dim], each query seeing only
// itself and earlier keys when `causal`. A flag rather than a mask tensor, so 2.x can run its
// fused kernels (flash attention on CUDA takes no explicit mask).
inline torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, bool causal) {
#if CLIPFORGE_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v, c10::nullopt, 0.0, causal);
#else
  torch::Tensor scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(q.size(-1)))), k.transpose(-2, -1));
  if (causal) mask_later_keys_(scores);
  return torch::matmul(torch::softmax(scores, -1), v);
#endif
}

}  // namespace clipforge

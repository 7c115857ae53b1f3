#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/torch.h>

#include "clipforge/torch_features.h"
#if CLIPFORGE_HAVE_NCCL
// Declares the class only under USE_C10D_NCCL, which the Torch CMake target of an NCCL build
// defines (cmake/torch_features.cmake checked libtorch_cuda for it).
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "core/error.h"

namespace clipforge {
namespace {

bool is_loopback(const std::string& address) { return address == "localhost" || address.rfind("127.", 0) == 0; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The store holds bytes; the records clipforge keeps there are text.
void set_text(c10d::Store& store, const std::string& key, const std::string& text) {
  store.set(key, std::vector<uint8_t>(text.begin(), text.end()));
}
std::string get_text(c10d::Store& store, const std::string& key) {
  const std::vector<uint8_t> bytes = store.get(key);  // waits up to the store's timeout
  return std::string(bytes.begin(), bytes.end());
}

class GatherWithGrad : public torch::autograd::Function<GatherWithGrad> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& local, DistGroup* group) {
    ctx->saved_data["group"] = reinterpret_cast<int64_t>(group);
    ctx->saved_data["rows"] = local.size(0);
    return group->all_gather(local);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_output) {
    auto* group = reinterpret_cast<DistGroup*>(ctx->saved_data["group"].toInt());
    return {group->sum_gathered_gradient(grad_output[0], ctx->saved_data["rows"].toInt()), torch::Tensor()};
  }
};

}  // namespace

DistGroup::DistGroup(DistEnvironment env, c10::Device device, c10::intrusive_ptr<c10d::Store> store,
                     c10::intrusive_ptr<CollectiveGroup> group)
    : env_(std::move(env)), device_(device), store_(std::move(store)), group_(std::move(group)) {
  // A counter each rank bumps every second: when a collective fails, the ranks whose counter
  // stood still are the ones that died or hung.
  heartbeat_ = std::thread([this] {
    const std::string key = "clipforge/heartbeat/" + std::to_string(env_.rank);
    while (!stop_) {
      try {
        store_->add(key, 1);
      } catch (const std::exception&) {
        return;  // the store is gone (rank 0 ended); the next collective reports it
      }
      for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

DistGroup::~DistGroup() {
  stop_ = true;
  if (heartbeat_.joinable()) heartbeat_.join();
}

std::unique_ptr<DistGroup> DistGroup::create(const DistEnvironment& env, std::chrono::milliseconds timeout,
                                             const c10::Device& device) {
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(env.master_port);
    options.isServer = env.rank == 0 && !env.agent_store;
    options.numWorkers = env.world_size;
    options.waitWorkers = false;
    options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
    if (env.agent_store) {
      store = c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(env.restart_count), tcp);
    } else {
      store = tcp;
    }
  } catch (const std::exception& e) {
    const std::string message = first_line(e.what());
    if (env.rank == 0 && !env.agent_store && message.find("in use") != std::string::npos)
      throw runtime_error("rank 0 cannot host the rendezvous store: MASTER_PORT " + where + " is already in use");
    throw runtime_error("rank " + std::to_string(env.rank) + " cannot reach the rendezvous store at MASTER_ADDR:MASTER_PORT " +
                        where + " (" + message + ")");
  }

  c10::intrusive_ptr<CollectiveGroup> group;
  try {
    if (device.is_cuda()) {
#if CLIPFORGE_HAVE_NCCL
      // NCCL creates its communicator on the current device: make it this rank's before anything
      // touches the GPU, and bind the group to it so the communicator is made once, eagerly.
      c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(device);
      auto options = c10d::ProcessGroupNCCL::Options::create();
      options->timeout = timeout;
      auto nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, options);
      nccl->setBoundDeviceId(device);
      group = nccl;
#else
      throw usage_error("this LibTorch has no NCCL: distributed CUDA training needs a CUDA build of LibTorch");
#endif
    } else {
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      for (const std::string& name : env.gloo_interfaces) {
        try {
          options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
        } catch (const std::exception& e) {
          throw usage_error("GLOO_SOCKET_IFNAME: rank " + std::to_string(env.rank) + " cannot use interface '" + name +
                            "' (" + first_line(e.what()) + ")");
        }
      }
      if (options->devices.empty())
        options->devices.push_back(is_loopback(env.master_addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                                : c10d::ProcessGroupGloo::createDefaultDevice());
      options->threads = 2;
      group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, options);
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw runtime_error("rank " + std::to_string(env.rank) + ": process group setup through " + where +
                        " failed within the timeout (" + first_line(e.what()) + ")");
  }
  return std::unique_ptr<DistGroup>(new DistGroup(env, device, store, group));
}

nlohmann::json DistGroup::backends() {
#if CLIPFORGE_HAVE_NCCL
  return {{"gloo", true}, {"nccl", true}, {"nccl_version", c10d::getNcclVersion()}};
#else
  return {{"gloo", true}, {"nccl", false}, {"nccl_version", nullptr}};
#endif
}

void DistGroup::fail(const std::string& what, const std::exception& cause) {
  std::string silent;
  try {
    std::vector<int64_t> before(env_.world_size), after(env_.world_size);
    for (int r = 0; r < env_.world_size; ++r) before[r] = store_->add("clipforge/heartbeat/" + std::to_string(r), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    for (int r = 0; r < env_.world_size; ++r) {
      after[r] = store_->add("clipforge/heartbeat/" + std::to_string(r), 0);
      if (after[r] == before[r] && r != env_.rank) silent += (silent.empty() ? "" : ", ") + std::to_string(r);
    }
  } catch (const std::exception&) {
    silent = "0 (the store host)";
  }
  throw runtime_error("rank " + std::to_string(env_.rank) + ": " + what + " failed" +
                      (silent.empty() ? "" : ": rank " + silent + " stopped responding") + " (" +
                      first_line(cause.what()) + ")");
}

void DistGroup::broadcast_from_rank0(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  try {
    for (auto& t : module.parameters()) {
      std::vector<torch::Tensor> tensors = {t.data()};
      group_->broadcast(tensors)->wait();
    }
    for (auto& t : module.buffers()) {
      std::vector<torch::Tensor> tensors = {t};
      group_->broadcast(tensors)->wait();
    }
  } catch (const std::exception& e) {
    fail("broadcast of rank 0's parameters", e);
  }
}

torch::Tensor DistGroup::all_gather(const torch::Tensor& local) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<torch::Tensor> input = {local.detach().contiguous()};
  std::vector<std::vector<torch::Tensor>> output(1);
  for (int r = 0; r < env_.world_size; ++r) output[0].push_back(torch::empty_like(input[0]));
  try {
    group_->allgather(output, input)->wait();
  } catch (const std::exception& e) {
    fail("all-gather of features", e);
  }
  torch::Tensor all = torch::cat(output[0]);
  feature_exchange_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return all;
}

torch::Tensor DistGroup::sum_gathered_gradient(const torch::Tensor& grad, int64_t rows) {
  const auto start = std::chrono::steady_clock::now();
  // Every rank's loss touched this rank's rows: their gradients add up.
  std::vector<torch::Tensor> sum = {grad.contiguous()};
  try {
    group_->allreduce(sum)->wait();
  } catch (const std::exception& e) {
    fail("gradient all-reduce of gathered features", e);
  }
  feature_exchange_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return sum[0].narrow(0, env_.rank * rows, rows);
}

torch::Tensor DistGroup::all_gather_with_grad(const torch::Tensor& local) { return GatherWithGrad::apply(local, this); }

std::vector<double> DistGroup::all_reduce_sum(const std::vector<double>& values) {
  std::vector<torch::Tensor> t = {
      torch::tensor(values, torch::TensorOptions(torch::kDouble)).to(device_)};
  try {
    group_->allreduce(t)->wait();
  } catch (const std::exception& e) {
    fail("all-reduce", e);
  }
  const torch::Tensor sums = t[0].cpu();
  return std::vector<double>(sums.data_ptr<double>(), sums.data_ptr<double>() + sums.numel());
}

std::vector<std::string> DistGroup::gather_to_rank0(const std::string& key, const std::string& value) {
  const std::string prefix = "clipforge/gather/" + key + "/";
  std::vector<std::string> values;
  try {
    set_text(*store_, prefix + std::to_string(env_.rank), value);
    if (env_.rank != 0) return values;
    for (int r = 0; r < env_.world_size; ++r) {
      values.push_back(get_text(*store_, prefix + std::to_string(r)));
      store_->deleteKey(prefix + std::to_string(r));
    }
  } catch (const std::exception& e) {
    fail("gather of per-rank state (" + key + ")", e);
  }
  return values;
}

std::string DistGroup::share_from_rank0(const std::string& what, const std::string& value) {
  const std::string key = "clipforge/share/" + std::to_string(shares_++);
  try {
    if (env_.rank == 0) {
      set_text(*store_, key, value);
      return value;
    }
    return get_text(*store_, key);
  } catch (const std::exception& e) {
    fail(what + " from rank 0", e);
  }
}

void DistGroup::run_on_rank0(const std::string& key, std::chrono::milliseconds wait, const std::function<void()>& work) {
  const std::string done = "clipforge/rank0/" + key;
  if (env_.rank == 0) {
    try {
      work();
    } catch (...) {
      set_text(*store_, done, "failed");
      throw;
    }
    set_text(*store_, done, "done");
    return;
  }
  std::string outcome;
  try {
    store_->wait({done}, wait);
    outcome = get_text(*store_, done);
  } catch (const std::exception& e) {
    fail("waiting for rank 0's " + key, e);
  }
  if (outcome != "done")
    throw runtime_error("rank " + std::to_string(env_.rank) + ": rank 0 failed in " + key + " (its log says why)");
}

void DistGroup::barrier() {
  try {
    group_->barrier()->wait();
  } catch (const std::exception& e) {
    fail("barrier", e);
  }
}

}  // namespace clipforge

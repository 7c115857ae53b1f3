#include "dist/environment.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "core/error.h"

namespace clipforge {
namespace {

const char* env(const char* name) { return std::getenv(name); }

int int_variable(const char* name, int min_value) {
  const char* text = env(name);
  if (text == nullptr) throw usage_error("environment variable " + std::string(name) + " is not set");
  try {
    size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used != std::string(text).size() || value < min_value) throw std::invalid_argument(text);
    return value;
  } catch (const std::exception&) {
    throw usage_error("environment variable " + std::string(name) + "='" + text + "' is not a valid number");
  }
}

}  // namespace

std::string first_slurm_host(const std::string& list) {
  // "node[001-004,007],gpu05" -> node001; "rack[1-2]-n[01-04]" -> rack1-n01; "a,b" -> a.
  std::string host;
  for (size_t i = 0; i < list.size() && list[i] != ','; ++i) {
    if (list[i] != '[') {
      host += list[i];
      continue;
    }
    const size_t close = list.find(']', i);
    if (close == std::string::npos) throw usage_error("SLURM node list '" + list + "' has an unclosed '['");
    const size_t end = list.find_first_of(",-]", i + 1);
    host += list.substr(i + 1, end - i - 1);
    i = close;
  }
  if (host.empty()) throw usage_error("SLURM node list '" + list + "' names no host");
  return host;
}

DistEnvironment read_dist_environment() {
  DistEnvironment e;
  if (env("RANK") && env("WORLD_SIZE")) {
    e.launcher = "torchrun";
    e.rank = int_variable("RANK", 0);
    e.world_size = int_variable("WORLD_SIZE", 1);
    e.local_rank = env("LOCAL_RANK") ? int_variable("LOCAL_RANK", 0) : 0;
  } else if (env("SLURM_PROCID") && env("SLURM_NTASKS") && (env("SLURM_STEP_ID") || env("SLURM_STEPID"))) {
    // Inside an srun step. A batch script's own process also sees SLURM_PROCID=0 and the
    // allocation's SLURM_NTASKS, but no step: it is one process, not rank 0 of a job.
    e.launcher = "slurm";
    e.rank = int_variable("SLURM_PROCID", 0);
    e.world_size = int_variable("SLURM_NTASKS", 1);
    e.local_rank = env("SLURM_LOCALID") ? int_variable("SLURM_LOCALID", 0) : 0;
  } else {
    return e;
  }
  e.local_world_size = e.world_size;
  if (env("LOCAL_WORLD_SIZE")) {
    e.local_world_size = int_variable("LOCAL_WORLD_SIZE", 1);
  } else if (e.launcher == "slurm" && env("SLURM_NTASKS_PER_NODE")) {
    // "4" or "4(x2)" (4 tasks on each of 2 nodes): the first count is this node's.
    e.local_world_size = std::max(1, std::atoi(env("SLURM_NTASKS_PER_NODE")));
  }
  if (e.rank >= e.world_size)
    throw usage_error("rank " + std::to_string(e.rank) + " is not below the world size " + std::to_string(e.world_size));
  if (!e.distributed()) return e;
  if (env("MASTER_ADDR")) {
    e.master_addr = env("MASTER_ADDR");
  } else if (e.launcher == "slurm" && (env("SLURM_STEP_NODELIST") || env("SLURM_JOB_NODELIST"))) {
    // Rank 0 runs on the step's first node (srun's default block distribution).
    e.master_addr = first_slurm_host(env(env("SLURM_STEP_NODELIST") ? "SLURM_STEP_NODELIST" : "SLURM_JOB_NODELIST"));
  } else if (e.launcher == "slurm" && env("SLURM_LAUNCH_NODE_IPADDR")) {
    e.master_addr = env("SLURM_LAUNCH_NODE_IPADDR");
  } else {
    throw usage_error("environment variable MASTER_ADDR is not set (the address of rank 0)");
  }
  if (e.launcher == "slurm" && !env("MASTER_PORT") && env("SLURM_JOB_ID")) {
    // Every task of the job computes the same port; jobs sharing a node rarely collide.
    e.master_port = 10000 + int_variable("SLURM_JOB_ID", 0) % 20000;
  } else {
    e.master_port = int_variable("MASTER_PORT", 1);
  }
  if (e.master_port > 65535) throw usage_error("MASTER_PORT " + std::to_string(e.master_port) + " is not a TCP port");
  const char* agent = env("TORCHELASTIC_USE_AGENT_STORE");
  e.agent_store = agent && std::string(agent) == "True";
  if (env("TORCHELASTIC_RESTART_COUNT")) e.restart_count = int_variable("TORCHELASTIC_RESTART_COUNT", 0);
  if (const char* interfaces = env("GLOO_SOCKET_IFNAME")) {
    std::istringstream list(interfaces);
    for (std::string name; std::getline(list, name, ',');) {
      if (name.empty()) throw usage_error(std::string("GLOO_SOCKET_IFNAME '") + interfaces + "' has an empty interface name");
      e.gloo_interfaces.push_back(name);
    }
  }
  return e;
}

}  // namespace clipforge

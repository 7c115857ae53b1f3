// Where this process sits in a distributed job, read from the variables its launcher set:
// torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or an srun step (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID; SLURM_STEP_ID marks the step). Under SLURM, MASTER_ADDR defaults to
// the first host of SLURM_STEP_NODELIST, else of SLURM_JOB_NODELIST, else SLURM_LAUNCH_NODE_IPADDR,
// and MASTER_PORT to 10000 + SLURM_JOB_ID mod 20000; exported values win. GLOO_SOCKET_IFNAME
// picks Gloo's interfaces on multi-homed nodes.
#pragma once

#include <string>
#include <vector>

namespace clipforge {

struct DistEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // ranks on this node: LOCAL_WORLD_SIZE, SLURM_NTASKS_PER_NODE, else world_size
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string launcher = "none";  // "torchrun", "slurm" or "none"
  // torchrun's agent already hosts the store on MASTER_PORT; workers join it as clients under
  // the prefix of the current restart attempt (TORCHELASTIC_USE_AGENT_STORE / _RESTART_COUNT).
  bool agent_store = false;
  int restart_count = 0;
  // GLOO_SOCKET_IFNAME, as PyTorch reads it: the network interfaces Gloo binds (comma-separated).
  // Empty: loopback for a loopback MASTER_ADDR, else the address this host's name resolves to.
  std::vector<std::string> gloo_interfaces;

  bool distributed() const { return world_size > 1; }
};

// Throws usage_error naming the variable that is missing or malformed.
DistEnvironment read_dist_environment();

// The first host of a SLURM host list ("node[001-004,007],gpu05" -> "node001").
std::string first_slurm_host(const std::string& list);

}  // namespace clipforge

// Where this process sits in a distributed job, read from the variables its launcher set:
// torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) or SLURM (SLURM_PROCID,
// SLURM_NTASKS, SLURM_LOCALID, with MASTER_ADDR / MASTER_PORT exported by the batch script).
#pragma once

#include <string>

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

  bool distributed() const { return world_size > 1; }
};

// Throws usage_error naming the variable that is missing or malformed.
DistEnvironment read_dist_environment();

}  // namespace clipforge

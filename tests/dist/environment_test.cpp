#include "dist/environment.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>

#include "core/error.h"

using namespace clipforge;

namespace {

// Sets the given variables for the scope (and clears every launcher variable first).
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const std::map<std::string, std::string>& values) {
    for (const char* name : kNames) {
      if (const char* v = std::getenv(name)) saved_[name] = v;
      ::unsetenv(name);
    }
    for (const auto& [k, v] : values) ::setenv(k.c_str(), v.c_str(), 1);
  }
  ~ScopedEnvironment() {
    for (const char* name : kNames) ::unsetenv(name);
    for (const auto& [k, v] : saved_) ::setenv(k.c_str(), v.c_str(), 1);
  }

 private:
  static constexpr const char* kNames[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
                                           "MASTER_PORT", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
                                           "SLURM_NTASKS_PER_NODE", "SLURM_STEP_ID", "SLURM_STEPID",
                                           "SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_LAUNCH_NODE_IPADDR",
                                           "SLURM_JOB_ID",
                                           "TORCHELASTIC_USE_AGENT_STORE", "TORCHELASTIC_RESTART_COUNT",
                                           "GLOO_SOCKET_IFNAME"};
  std::map<std::string, std::string> saved_;
};

}  // namespace

TEST_CASE("torchrun variables give rank, world size, local rank and master", "[dist][environment]") {
  ScopedEnvironment env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "10.1.2.3"},
                         {"MASTER_PORT", "29511"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"},
                         {"TORCHELASTIC_RESTART_COUNT", "2"}});
  DistEnvironment e = read_dist_environment();
  CHECK(e.launcher == "torchrun");
  CHECK(e.rank == 3);
  CHECK(e.world_size == 4);
  CHECK(e.local_rank == 1);
  CHECK(e.master_addr == "10.1.2.3");
  CHECK(e.master_port == 29511);
  CHECK(e.agent_store);
  CHECK(e.restart_count == 2);
  CHECK(e.local_world_size == 4);  // no LOCAL_WORLD_SIZE: as if on one node
  CHECK(e.gloo_interfaces.empty());
  ScopedEnvironment two_nodes({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                               {"MASTER_ADDR", "10.1.2.3"}, {"MASTER_PORT", "29511"}});
  CHECK(read_dist_environment().local_world_size == 2);
}

TEST_CASE("SLURM variables are read when torchrun's are absent", "[dist][environment]") {
  ScopedEnvironment env({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_STEP_ID", "0"},
                         {"MASTER_ADDR", "node001"}, {"MASTER_PORT", "12345"}});
  DistEnvironment e = read_dist_environment();
  CHECK(e.launcher == "slurm");
  CHECK(e.rank == 5);
  CHECK(e.world_size == 8);
  CHECK(e.local_rank == 1);
  CHECK_FALSE(e.agent_store);
  ScopedEnvironment per_node({{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"}, {"SLURM_STEPID", "3"},
                              {"SLURM_NTASKS_PER_NODE", "4(x2)"}, {"MASTER_ADDR", "node001"}, {"MASTER_PORT", "12345"}});
  CHECK(read_dist_environment().local_world_size == 4);
}

TEST_CASE("no launcher variables mean a single process", "[dist][environment]") {
  ScopedEnvironment env({});
  DistEnvironment e = read_dist_environment();
  CHECK_FALSE(e.distributed());
  CHECK(e.launcher == "none");
}

TEST_CASE("malformed launcher variables are named in the error", "[dist][environment]") {
  {
    ScopedEnvironment env({{"RANK", "x"}, {"WORLD_SIZE", "2"}});
    CHECK_THROWS_WITH(read_dist_environment(), Catch::Contains("RANK='x'"));
  }
  {
    ScopedEnvironment env({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}});
    CHECK_THROWS_WITH(read_dist_environment(), Catch::Contains("not below the world size"));
  }
  {
    ScopedEnvironment env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}});
    CHECK_THROWS_WITH(read_dist_environment(), Catch::Contains("MASTER_ADDR"));
  }
  {
    ScopedEnvironment env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}});
    CHECK_THROWS_WITH(read_dist_environment(), Catch::Contains("not a TCP port"));
  }
  {
    ScopedEnvironment env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"},
                           {"GLOO_SOCKET_IFNAME", "eth0,,eth1"}});
    CHECK_THROWS_WITH(read_dist_environment(), Catch::Contains("GLOO_SOCKET_IFNAME 'eth0,,eth1'"));
  }
}

TEST_CASE("GLOO_SOCKET_IFNAME lists the interfaces Gloo binds", "[dist][environment]") {
  ScopedEnvironment env({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29500"},
                         {"GLOO_SOCKET_IFNAME", "ib0,eth1"}});
  CHECK(read_dist_environment().gloo_interfaces == std::vector<std::string>{"ib0", "eth1"});
}

TEST_CASE("a batch script's own process is not a rank of the allocation", "[dist][environment]") {
  // sbatch --ntasks 4 runs the script once, with SLURM_PROCID=0 and SLURM_NTASKS=4 but no step:
  // only srun starts the ranks.
  ScopedEnvironment env({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", "0"},
                         {"SLURM_JOB_NODELIST", "gnode[10,20]"}, {"SLURM_JOB_ID", "200505"}});
  const DistEnvironment e = read_dist_environment();
  CHECK_FALSE(e.distributed());
  CHECK(e.launcher == "none");
}

TEST_CASE("under srun the rendezvous defaults to the step's first node", "[dist][environment]") {
  const std::map<std::string, std::string> step = {{"SLURM_PROCID", "3"}, {"SLURM_NTASKS", "8"}, {"SLURM_LOCALID", "1"},
                                                   {"SLURM_STEP_ID", "0"}, {"SLURM_JOB_ID", "200505"},
                                                   {"SLURM_JOB_NODELIST", "gnode[10,20,25,37]"},
                                                   {"SLURM_LAUNCH_NODE_IPADDR", "10.0.0.9"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(step.begin(), step.end());
    return extra;
  };
  {
    ScopedEnvironment env(step);
    const DistEnvironment e = read_dist_environment();
    CHECK(e.master_addr == "gnode10");
    CHECK(e.master_port == 10000 + 200505 % 20000);
  }
  {
    ScopedEnvironment env(with({{"SLURM_STEP_NODELIST", "gnode[25,37]"}}));
    CHECK(read_dist_environment().master_addr == "gnode25");
  }
  {
    ScopedEnvironment env(with({{"MASTER_ADDR", "head"}, {"MASTER_PORT", "29500"}}));
    const DistEnvironment e = read_dist_environment();
    CHECK(e.master_addr == "head");
    CHECK(e.master_port == 29500);
  }
  {
    std::map<std::string, std::string> no_lists = step;
    no_lists.erase("SLURM_JOB_NODELIST");
    ScopedEnvironment env(no_lists);
    CHECK(read_dist_environment().master_addr == "10.0.0.9");
  }
}

TEST_CASE("SLURM host lists give their first host", "[dist][environment]") {
  CHECK(first_slurm_host("node001") == "node001");
  CHECK(first_slurm_host("a,b") == "a");
  CHECK(first_slurm_host("node[001-004,007],gpu05") == "node001");
  CHECK(first_slurm_host("gnode[10,20,25,37]") == "gnode10");
  CHECK(first_slurm_host("rack[1-2]-n[01-04]") == "rack1-n01");
  CHECK_THROWS_WITH(first_slurm_host("node[001-004"), Catch::Contains("node[001-004") && Catch::Contains("unclosed"));
  CHECK_THROWS_WITH(first_slurm_host(""), Catch::Contains("names no host"));
}

#include "core/machine_info.h"

#include <ATen/Context.h>
#include <catch2/catch.hpp>
#include <map>
#include <memory>

#include "core/error.h"

using namespace clipforge;

// Every matmul runs ~47x slower on the reference BLAS, so the suite insists on a real one: the
// system's OpenBLAS under Debian's LibTorch (scripts/setup.sh installs libopenblas0-pthread), the
// MKL inside PyPI's libtorch_cpu, which the programs link ahead of the system BLAS
// (cmake/torch_features.cmake).
TEST_CASE("the BLAS serving sgemm is found from the loaded libraries", "[core][machine]") {
  BlasInfo blas = detect_blas();
  INFO("library: " << blas.library << " config: " << blas.config);
  if (at::hasMKL()) {
    CHECK(blas.name == "MKL");
    CHECK(blas.library.find("libtorch_cpu") != std::string::npos);
  } else {
    CHECK(blas.name == "OpenBLAS");
    CHECK(blas.library.find("openblas") != std::string::npos);
    CHECK(blas.config.find("OpenBLAS") != std::string::npos);
  }
  CHECK(blas.threads >= 1);
}

TEST_CASE("cpu model and core count are read from the machine", "[core][machine]") {
  CHECK(hardware_cores() >= 1);
  CHECK_FALSE(cpu_model().empty());
}

namespace {

EnvLookup table(std::map<std::string, std::string> values) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(values));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("thread defaults follow what the launcher set", "[core][machine][threads]") {
  // Nothing set: the whole machine for one process.
  CHECK(default_compute_threads(table({}), 16) == 16);
  CHECK(rank_cpu_share(table({}), 16) == 16);
  // torchrun with 8 ranks per node sets OMP_NUM_THREADS=1 and LOCAL_WORLD_SIZE=8.
  const auto torchrun = table({{"OMP_NUM_THREADS", "1"}, {"LOCAL_WORLD_SIZE", "8"}});
  CHECK(default_compute_threads(torchrun, 16) == 1);
  CHECK(rank_cpu_share(torchrun, 16) == 2);
  // torchrun's ranks with OMP_NUM_THREADS unset share the node's cores.
  CHECK(default_compute_threads(table({{"LOCAL_WORLD_SIZE", "4"}}), 16) == 4);
  CHECK(default_compute_threads(table({{"LOCAL_WORLD_SIZE", "32"}}), 16) == 1);
  // SLURM's --cpus-per-task is the task's share, whatever the node has.
  const auto slurm = table({{"SLURM_CPUS_PER_TASK", "6"}, {"LOCAL_WORLD_SIZE", "8"}});
  CHECK(rank_cpu_share(slurm, 64) == 6);
  CHECK(default_compute_threads(slurm, 64) == 6);
  // OpenMP's nested list: the first level is this one.
  CHECK(default_compute_threads(table({{"OMP_NUM_THREADS", "3,2"}}), 16) == 3);
}

TEST_CASE("a malformed thread variable is a usage error naming it", "[core][machine][threads]") {
  for (const char* bad : {"zero", "0", "-2", "4x"}) {
    INFO(bad);
    try {
      default_compute_threads(table({{"OMP_NUM_THREADS", bad}}), 4);
      FAIL("accepted OMP_NUM_THREADS=" << bad);
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kUsage);
      CHECK_THAT(e.what(), Catch::Contains("OMP_NUM_THREADS") && Catch::Contains(bad));
    }
  }
  CHECK_THROWS_WITH(rank_cpu_share(table({{"SLURM_CPUS_PER_TASK", ""}, {"LOCAL_WORLD_SIZE", "two"}}), 4),
                    Catch::Contains("LOCAL_WORLD_SIZE='two'"));
}

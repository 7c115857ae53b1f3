#include "dist/device_choice.h"

#include <catch2/catch.hpp>

#include "core/error.h"

using namespace clipforge;

namespace {

DistEnvironment ranks(int rank, int world, int local_rank, int local_world) {
  DistEnvironment e;
  e.rank = rank;
  e.world_size = world;
  e.local_rank = local_rank;
  e.local_world_size = local_world;
  e.launcher = "torchrun";
  return e;
}

std::string refusal(const std::string& requested, const DistEnvironment& env, int visible) {
  try {
    const c10::Device d = choose_training_device(requested, env, visible);
    FAIL("chose " << d.str() << " for --device " << requested);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kUsage);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("one process takes the device it is given", "[dist][device]") {
  const DistEnvironment single;
  CHECK(choose_training_device("cpu", single, 0) == c10::Device(c10::kCPU));
  CHECK(choose_training_device("cuda", single, 4) == c10::Device(c10::kCUDA, 0));
  CHECK(choose_training_device("cuda:3", single, 4) == c10::Device(c10::kCUDA, 3));
  CHECK_THAT(refusal("cuda:4", single, 4), Catch::Contains("--device cuda:4") && Catch::Contains("sees 4"));
  CHECK_THAT(refusal("cuda", single, 0), Catch::Contains("CUDA is not available"));
  CHECK_THAT(refusal("gpu", single, 1), Catch::Contains("expected cpu, cuda or cuda:N"));
  CHECK_THAT(refusal("cuda:x", single, 1), Catch::Contains("expected cpu, cuda or cuda:N"));
  CHECK_THAT(refusal("cuda:1x", single, 2), Catch::Contains("expected cpu, cuda or cuda:N"));
}

TEST_CASE("ranks that see every GPU of the node take LOCAL_RANK's", "[dist][device]") {
  // torchrun --nproc-per-node 4 on a 4-GPU node, second node: global rank 6, local rank 2.
  CHECK(choose_training_device("cuda", ranks(6, 8, 2, 4), 4) == c10::Device(c10::kCUDA, 2));
  CHECK(choose_training_device("cuda", ranks(0, 8, 0, 4), 4) == c10::Device(c10::kCUDA, 0));
  CHECK_THAT(refusal("cuda", ranks(5, 8, 5, 8), 4), Catch::Contains("LOCAL_RANK 5") && Catch::Contains("sees 4"));
}

TEST_CASE("ranks that see one GPU each take device 0", "[dist][device]") {
  // SLURM with --gpus-per-task=1: CUDA_VISIBLE_DEVICES holds this task's GPU alone.
  CHECK(choose_training_device("cuda", ranks(3, 8, 3, 4), 1) == c10::Device(c10::kCUDA, 0));
}

TEST_CASE("an explicit GPU is refused for several ranks on one node", "[dist][device]") {
  CHECK_THAT(refusal("cuda:0", ranks(1, 2, 1, 2), 2),
             Catch::Contains("--device cuda:0") && Catch::Contains("2 ranks") && Catch::Contains("--device cuda"));
  // One rank per node may pick its GPU.
  CHECK(choose_training_device("cuda:1", ranks(1, 2, 0, 1), 2) == c10::Device(c10::kCUDA, 1));
  // CPU training with several ranks is what Gloo runs.
  CHECK(choose_training_device("cpu", ranks(1, 2, 1, 2), 0) == c10::Device(c10::kCPU));
}

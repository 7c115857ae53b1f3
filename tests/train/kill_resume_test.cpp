// Fault injection: `clipforge train` killed with SIGKILL again and again, at random moments and
// in the middle of checkpoint writes, resumed each time with --resume latest. Every checkpoint
// left behind must load, and the finished run must equal an uninterrupted one bit for bit.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "core/files.h"
#include "model/load.h"
#include "model/safetensors.h"
#include "model/state_dict.h"
#include "support/colour_shards.h"
#include "support/reference.h"
#include "support/run_cli.h"
#include "support/run_files.h"

using namespace clipforge;
using testing::latest_stem;
namespace fs = std::filesystem;

namespace {

// Every complete checkpoint file in `dir` parses, and `latest` (when present) names a pair
// that exists.
void check_checkpoints_readable(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos || it->path().extension() != ".safetensors") continue;
    INFO(name);
    CHECK_NOTHROW(read_safetensors(it->path().string()));
  }
  if (file_exists(dir + "/latest")) {
    const std::string stem = latest_stem(dir);
    INFO("latest: " << stem);
    CHECK(file_exists(dir + "/" + stem + ".safetensors"));
    CHECK(file_exists(dir + "/" + stem + ".state.safetensors"));
  }
}

}  // namespace

TEST_CASE("training killed at random moments and mid-checkpoint resumes to the uninterrupted weights", "[train][kill]") {
  constexpr int kKills = 24;
  const std::string dir = testing::temp_dir() + "/kill_resume";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 16);
  const std::string model = testing::write_tiny_model_config(dir);
  // Every step checkpoints, so most kills land in or near a write. --resume latest from the very
  // first attempt, as a requeued cluster job would run it.
  auto args = [&](const std::string& name) {
    return "--threads 1 train --model " + model + " --train-data '" + urls + "' --batch-size 8 --epochs 150 --lr 3e-3 " +
           "--warmup 2 --workers 1 --seed 0 --logs " + dir + "/runs --name " + name +
           " --save-every-steps 1 --save-frequency 1 --keep-last 2 --log-every-n-steps 1 --resume latest";
  };

  const auto started = std::chrono::steady_clock::now();
  const auto straight = testing::start_cli("", args("straight"));
  REQUIRE(straight.wait(600) == 0);
  // Random kills come within a twentieth of the whole run, so the twelve of them cannot finish
  // it (at most 60%) on any machine, and most land after start-up, in steps and writes.
  const auto run_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);

  const std::string run = dir + "/runs/killed", checkpoints = run + "/checkpoints";
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> delay_ms(10, std::max<int>(20, int(run_ms.count() / 20)));
  int kills = 0, during_write = 0;
  while (kills < kKills) {
    const auto p = testing::start_cli("", args("killed"));
    REQUIRE(p.pid > 0);
    INFO("attempt " << kills + 1 << ": " << p.err());
    if (kills % 2 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      REQUIRE(p.wait(0.01) == -1);  // the run must not have finished yet
    } else {
      // Wait for this process to begin a checkpoint write, then kill at once: any pause here
      // (even a 10 ms wait) lets a small model's write finish first.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (testing::temp_files_under(checkpoints, p.pid).empty() && std::chrono::steady_clock::now() < deadline) ::usleep(200);
    }
    ::kill(p.pid, SIGKILL);
    REQUIRE(p.wait(30) == 128 + SIGKILL);
    ++kills;
    if (!testing::temp_files_under(checkpoints, p.pid).empty()) ++during_write;
    check_checkpoints_readable(checkpoints);
  }
  const auto last = testing::start_cli("", args("killed"));
  INFO(last.err());
  REQUIRE(last.wait(600) == 0);
  check_checkpoints_readable(checkpoints);
  CHECK(testing::temp_files_under(checkpoints).empty());  // a resumed run clears what killed writes left
  CHECK(during_write >= 1);

  // The log reads as one run too: every step once, with the same losses.
  testing::check_identical_runs(run, dir + "/runs/straight");
}

TEST_CASE("a checkpoint write that runs out of space keeps the previous checkpoint and says why", "[train][kill]") {
  const std::string dir = testing::temp_dir() + "/disk_full";
  const std::string urls = testing::write_colour_shards(dir + "/shards", 16);
  const std::string model = testing::write_tiny_model_config(dir);
  const std::string args = "--threads 1 train --model " + model + " --train-data '" + urls + "' --batch-size 8 --epochs 2 " +
                           "--workers 1 --seed 0 --logs " + dir + "/runs --name full --save-every-steps 1 --resume latest";
  const std::string checkpoints = dir + "/runs/full/checkpoints";
  REQUIRE(testing::run_cli(args + " --max-steps 2").exit_code == 0);
  const std::string before = read_file(checkpoints + "/latest");
  const std::string weights = read_file(checkpoints + "/step_00000002.safetensors");

  // A file-size limit below one checkpoint: the next write fails part-way, like a full disk.
  const auto r = testing::run_cli(args, "", "ulimit -f 64; ");
  CHECK(r.exit_code == 5);
  CHECK_THAT(r.err, Catch::Contains("clipforge: error:") && Catch::Contains("step_00000003") && Catch::Contains("File too large"));
  CHECK(r.err.find("clipforge: error:") == r.err.rfind("clipforge: error:"));  // one error line
  CHECK(read_file(checkpoints + "/latest") == before);
  CHECK(read_file(checkpoints + "/step_00000002.safetensors") == weights);
  CHECK(testing::temp_files_under(checkpoints).empty());
  // With space again, the run resumes from that checkpoint and finishes.
  CHECK(testing::run_cli(args).exit_code == 0);
}

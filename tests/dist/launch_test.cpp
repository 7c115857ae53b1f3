// Launching real processes the ways users do: scripts/launch_local.sh and torchrun, a rank
// killed mid-run, a port already taken.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "clipforge/test_paths.h"
#include "core/files.h"
#include "dist/dist_fixtures.h"
#include "model/load.h"
#include "model/safetensors.h"
#include "model/state_dict.h"
#include "support/colour_shards.h"
#include "support/reference.h"
#include "support/run_cli.h"
#include "support/run_files.h"

using namespace clipforge;
namespace fs = std::filesystem;

namespace {

struct Setup {
  std::string dir, shards, config;
};

Setup make_setup(const std::string& name, int per_shard) {
  Setup s;
  s.dir = testing::temp_dir() + "/" + name;
  s.shards = testing::write_colour_shards(s.dir + "/shards", per_shard);
  s.config = testing::write_tiny_model_config(s.dir);
  return s;
}

// Common flags: one data worker per rank, so 2 ranks read the same shards, in the same order,
// as 1 process with 2 workers (readers are numbered rank * workers + worker). A large Adam eps
// keeps float-rounding noise in near-zero gradients from being scaled up to full-size steps.
std::string train_args(const Setup& s, const std::string& name, int batch, int accum, int workers) {
  return "train --model " + s.config + " --train-data '" + s.shards + "' --batch-size " + std::to_string(batch) +
         " --accum-freq " + std::to_string(accum) + " --workers " + std::to_string(workers) +
         " --epochs 1 --warmup 1 --lr 1e-3 --eps 1e-3 --threads 1 --logs " + s.dir + "/runs --name " + name;
}

NamedTensors weights_of(const std::string& run_dir) {
  return state_dict(*load_model({"", run_dir + "/checkpoints/step_00000004.safetensors"}).model);
}

void check_close(const NamedTensors& a, const NamedTensors& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first << " max diff " << (a[i].second - b[i].second).abs().max().item<double>());
    CHECK(torch::allclose(a[i].second, b[i].second, 1e-4, 1e-5));
  }
}

// The single-process reference: batch 4 from each of 2 workers per step (accum 2) is exactly
// the global batch 2 ranks x batch 4 see.
NamedTensors single_process_reference(const Setup& s) {
  auto r = testing::run_cli(train_args(s, "single", 4, 2, 2));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return weights_of(s.dir + "/runs/single");
}

// `ranks` processes of one job on this machine, as a launcher starts them.
std::vector<testing::BackgroundCli> start_ranks(int ranks, const std::string& args) {
  const std::string env = "WORLD_SIZE=" + std::to_string(ranks) +
                          " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(testing::free_port());
  std::vector<testing::BackgroundCli> out;
  for (int r = 0; r < ranks; ++r)
    out.push_back(testing::start_cli(env + " RANK=" + std::to_string(r) + " LOCAL_RANK=" + std::to_string(r), args));
  return out;
}

void wait_all(const std::vector<testing::BackgroundCli>& ranks) {
  for (size_t r = 0; r < ranks.size(); ++r) {
    INFO("rank " << r << " stderr: " << ranks[r].err());
    REQUIRE(ranks[r].wait(300) == 0);
  }
}

// Polls (every 0.1 s, `tries` times at most) until run metrics file `metrics` holds a line: the
// job trains. Whether it does.
bool wait_for_first_step(const std::string& metrics, int tries) {
  for (int i = 0; i < tries; ++i) {
    if (fs::exists(metrics) && fs::file_size(metrics) > 0) return true;
    ::usleep(100000);
  }
  return false;
}

// Polls until `checkpoints` holds a checkpoint at or past `stem`; returns the newest one.
std::string wait_for_checkpoint(const std::string& checkpoints, const std::string& stem) {
  std::string latest;
  for (int i = 0; i < 600000 && latest < stem; ++i) {
    if (fs::exists(checkpoints + "/latest")) latest = testing::latest_stem(checkpoints);
    ::usleep(100);
  }
  return latest;
}

// A job whose every rank is killed with SIGKILL mid-epoch, relaunched with --resume latest, ends
// with the uninterrupted job's weights and loss log, bit for bit: each rank resumes its own data
// stream from the one checkpoint.
void check_killed_job_resumes(int ranks) {
  Setup s = make_setup("rank_resume" + std::to_string(ranks), 30);  // 2 shards: uneven for 3 ranks
  const int64_t steps_per_epoch = 60 / (2 * ranks);
  auto args = [&](const std::string& name) {
    return train_args(s, name, 2, 1, 1) + " --epochs 2 --save-every-steps 2 --log-every-n-steps 1 --resume latest";
  };
  wait_all(start_ranks(ranks, args("straight")));

  const std::string checkpoints = s.dir + "/runs/killed/checkpoints";
  std::vector<testing::BackgroundCli> job = start_ranks(ranks, args("killed"));
  // Kill every rank the moment a checkpoint past step 2 exists: mid-epoch, with later steps of
  // the epoch still to come.
  const std::string stem = wait_for_checkpoint(checkpoints, "step_00000004");
  for (const auto& rank : job) ::kill(rank.pid, SIGKILL);
  for (const auto& rank : job) CHECK(rank.wait(30) == 128 + SIGKILL);
  INFO("killed after " << stem);
  REQUIRE(stem >= "step_00000004");
  REQUIRE(std::stoll(stem.substr(5)) < steps_per_epoch);

  wait_all(start_ranks(ranks, args("killed")));
  testing::check_identical_runs(s.dir + "/runs/killed", s.dir + "/runs/straight");
}

}  // namespace

TEST_CASE("2 ranks killed mid-epoch resume exactly", "[dist][resume]") { check_killed_job_resumes(2); }

TEST_CASE("3 ranks on 2 shards killed mid-epoch resume exactly", "[dist][resume]") { check_killed_job_resumes(3); }

// The learning rate of each step of a run, in step order.
std::vector<double> learning_rates(const std::string& run) {
  std::vector<double> out;
  std::istringstream in(read_file(run + "/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("lr")) out.push_back(j["lr"].get<double>());
  }
  return out;
}

TEST_CASE("a job stopped mid-epoch on 2 ranks finishes the epoch on 3, on the 3-rank schedule", "[dist][resize]") {
  Setup s = make_setup("resize", 30);  // 60 samples: 15 steps an epoch on 2 ranks of batch 2, 10 on 3
  auto args = [&](const std::string& name) {
    return train_args(s, name, 2, 1, 1) + " --epochs 2 --log-every-n-steps 1 --resume latest";
  };
  wait_all(start_ranks(3, args("three")));
  wait_all(start_ranks(2, args("resized") + " --max-steps 3"));
  auto job = start_ranks(3, args("resized"));
  wait_all(job);
  // Each of the 2 readers had 30 - 3 x 2 = 24 samples left: 48 = 3 readers x 8 batches of 2.
  CHECK_THAT(job[0].err(), Catch::Contains("resuming epoch 0 of 2 ranks on 3") &&
                               Catch::Contains("48 samples left, 0 dropped"));
  const std::vector<double> resized = learning_rates(s.dir + "/runs/resized"), three = learning_rates(s.dir + "/runs/three");
  REQUIRE(three.size() == 20);
  REQUIRE(resized.size() == 3 + 8 + 10);
  // The rest of epoch 0 ends where the 3-rank schedule ends it: from the first resumed step on,
  // the rates are the 3-rank run's, one step behind (its epoch 0 holds 10 steps, not 3 + 8).
  CHECK(std::vector<double>(resized.begin() + 3, resized.end()) == std::vector<double>(three.begin() + 2, three.end()));
}

TEST_CASE("SIGUSR1 to one rank stops every rank after the same step with a checkpoint and the resumed run ends as if uninterrupted",
          "[dist][signal]") {
  Setup s = make_setup("signal", 30);  // 15 steps an epoch on 2 ranks
  auto args = [&](const std::string& name) {
    return train_args(s, name, 2, 1, 1) + " --epochs 2 --log-every-n-steps 1 --resume latest";
  };
  wait_all(start_ranks(2, args("straight")));
  const std::string run = s.dir + "/runs/signalled";
  auto job = start_ranks(2, args("signalled"));
  REQUIRE(wait_for_first_step(run + "/metrics.jsonl", 600));
  ::kill(job[1].pid, SIGUSR1);  // as SLURM's --signal would, to one task only
  wait_all(job);
  CHECK_THAT(job[0].err(), Catch::Contains("SIGUSR1: stopped after step"));
  for (const auto& rank : job) CHECK_THAT(read_file(rank.out_path), Catch::Contains("\"stopped_by_signal\": true"));
  const std::string stem = testing::latest_stem(run + "/checkpoints");
  const int64_t step = std::stoll(stem.substr(5));
  CHECK(step < 30);
  CHECK(testing::loss_lines(run).size() == static_cast<std::size_t>(step));  // the checkpoint holds every step taken
  wait_all(start_ranks(2, args("signalled")));
  testing::check_identical_runs(run, s.dir + "/runs/straight");
}

TEST_CASE("scripts/launch_local.sh runs 2 ranks that train like one process", "[dist][launch]") {
  Setup s = make_setup("launch_local", 16);  // 32 samples: 4 steps of global batch 8
  NamedTensors expected = single_process_reference(s);
  const std::string command = "MASTER_PORT=" + std::to_string(testing::free_port()) + " " + CLIPFORGE_SOURCE_DIR +
                              "/scripts/launch_local.sh 2 -- " + CLIPFORGE_BIN + " " + train_args(s, "local2", 4, 1, 1) +
                              " >" + s.dir + "/launch.log 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  check_close(weights_of(s.dir + "/runs/local2"), expected);
}

TEST_CASE("torchrun --no_python starts clipforge ranks that train like one process", "[dist][launch]") {
  // torchrun from the torch this build links: a 2.x rank cannot join 1.13's agent store (2.x's
  // TCPStore client validates with a request 1.13's server does not know).
  const std::string python = CLIPFORGE_TORCH_PYTHON;
  REQUIRE(std::system((python + " -c 'import torch.distributed.run' 2>/dev/null").c_str()) == 0);
  Setup s = make_setup("torchrun", 16);
  NamedTensors expected = single_process_reference(s);
  // torch 1.13 spells its flags with underscores; -r 1 -t 1 avoid its Python 3.11 crash. "--"
  // before the program: 2.x's torchrun otherwise reads clipforge's --logs as an ambiguous
  // abbreviation of its own --logs-specs and refuses to start.
  const std::string command = python + " -m torch.distributed.run --nproc_per_node 2 -r 1 -t 1 --master_port " +
                              std::to_string(testing::free_port()) + " --no_python -- " + CLIPFORGE_BIN + " " +
                              train_args(s, "torchrun2", 4, 1, 1) + " >" + s.dir + "/torchrun.log 2>&1";
  const int rc = std::system(command.c_str());
  INFO("log in " << s.dir << "/torchrun.log");
  REQUIRE(rc == 0);
  check_close(weights_of(s.dir + "/runs/torchrun2"), expected);
}

namespace {

// Starts a 2-rank job, waits until it trains, sends rank 1 `signal`, and checks that rank 0 ends
// with an error naming rank 1 within the timeout. Returns the seconds from the signal to rank
// 0's exit.
double check_lost_rank_detected(const std::string& name, int signal, double dist_timeout_s) {
  Setup s = make_setup(name, 200);
  const std::vector<testing::BackgroundCli> job = start_ranks(
      2, train_args(s, name, 4, 1, 1) + " --epochs 50 --log-every-n-steps 1 --dist-timeout " + std::to_string(dist_timeout_s));
  const testing::BackgroundCli &rank0 = job[0], &rank1 = job[1];
  // Wait until training runs (rank 0 has logged a step), then stop rank 1 without warning.
  const bool trained = wait_for_first_step(s.dir + "/runs/" + name + "/metrics.jsonl", 600);
  INFO("rank 0 stderr: " << rank0.err() << "\nrank 1 stderr: " << rank1.err());
  REQUIRE(trained);
  const auto signalled = std::chrono::steady_clock::now();
  ::kill(rank1.pid, signal);
  // The timeout, plus the heartbeat check (2.5 s) and slack for a loaded machine.
  const int rc = rank0.wait(dist_timeout_s + 20);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  ::kill(rank1.pid, SIGKILL);
  if (rc < 0) ::kill(rank0.pid, SIGKILL);
  INFO("rank 0 stderr: " << rank0.err());
  CHECK(rc == 5);
  CHECK_THAT(rank0.err(), Catch::Contains("rank 1 stopped responding"));
  return seconds;
}

// The clipforge processes of run `name` whose environment says RANK=`rank` (torchrun's workers).
std::vector<int> worker_pids(const std::string& name, int rank) {
  const std::string want = std::string("RANK=") + std::to_string(rank);
  std::vector<int> pids;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline, environ;
    try {
      cmdline = read_file(entry.path().string() + "/cmdline");
      environ = read_file(entry.path().string() + "/environ");
    } catch (const std::exception&) {
      continue;  // ended meanwhile
    }
    if (cmdline.rfind(CLIPFORGE_BIN, 0) != 0 || cmdline.find(name) == std::string::npos) continue;
    std::istringstream variables(environ);
    for (std::string variable; std::getline(variables, variable, '\0');)
      if (variable == want) pids.push_back(std::stoi(pid));
  }
  return pids;
}

}  // namespace

TEST_CASE("a killed rank ends the job with an error naming it within the timeout", "[dist][failure]") {
  const double seconds = check_lost_rank_detected("killed", SIGKILL, 20);
  INFO("detected after " << seconds << " s");
  CHECK(seconds < 20);  // a dead peer's closed sockets end the collective at once, not at the timeout
}

TEST_CASE("a hung rank (SIGSTOP) ends the job within --dist-timeout, naming it", "[dist][failure]") {
  // A stopped process keeps its sockets open: only the collective's timeout can end the wait.
  const double timeout_s = 6;
  const double seconds = check_lost_rank_detected("hung", SIGSTOP, timeout_s);
  INFO("detected after " << seconds << " s");
  CHECK(seconds >= timeout_s - 1);
  CHECK(seconds < timeout_s + 10);
}

TEST_CASE("torchrun --max_restarts restarts a job whose rank was killed, and it ends as if uninterrupted", "[dist][elastic]") {
  const std::string python = CLIPFORGE_TORCH_PYTHON;
  REQUIRE(std::system((python + " -c 'import torch.distributed.run' 2>/dev/null").c_str()) == 0);
  Setup s = make_setup("elastic", 30);
  auto args = [&](const std::string& name) {
    return train_args(s, name, 2, 1, 1) + " --epochs 2 --save-every-steps 2 --log-every-n-steps 1 --resume latest";
  };
  wait_all(start_ranks(2, args("straight")));

  const std::string log = s.dir + "/torchrun.log";
  const std::string command = python + " -m torch.distributed.run --nproc_per_node 2 --max_restarts 1 --monitor_interval 1 " +
                              "-r 1 -t 1 --master_port " + std::to_string(testing::free_port()) + " --no_python -- " +
                              CLIPFORGE_BIN + " " + args("elastic") + " >" + log + " 2>&1";
  int rc = -1;
  std::thread job([&] { rc = std::system(command.c_str()); });
  // Kill rank 1 alone once a checkpoint past step 2 exists, mid-epoch.
  const std::string checkpoints = s.dir + "/runs/elastic/checkpoints";
  const std::string stem = wait_for_checkpoint(checkpoints, "step_00000004");
  const std::vector<int> rank1 = worker_pids("elastic", 1);
  for (int pid : rank1) ::kill(pid, SIGKILL);
  job.join();
  INFO("killed rank 1 (" << rank1.size() << " process) after " << stem << "; log in " << log);
  REQUIRE(rank1.size() == 1);
  REQUIRE(rc == 0);
  CHECK_THAT(read_file(log), Catch::Contains("clipforge: resumed"));

  testing::check_identical_runs(s.dir + "/runs/elastic", s.dir + "/runs/straight");
  // The rank torchrun stopped left nothing half-written behind, and every checkpoint file kept
  // (weights and training state) reads whole.
  CHECK(testing::temp_files_under(s.dir + "/runs/elastic").empty());
  for (const auto& entry : fs::directory_iterator(checkpoints))
    if (entry.path().extension() == ".safetensors") CHECK_NOTHROW(read_safetensors(entry.path().string()));
}

TEST_CASE("rank 0's evaluation may outlast --dist-timeout", "[dist][failure]") {
  // While rank 0 evaluates alone, rank 1 waits for it with a timeout of its own; before, it went
  // on to the next epoch's first collective and failed there after --dist-timeout.
  Setup s = make_setup("long_eval", 8);
  // 24,000 validation images take ~5 s to evaluate in Release (ASan builds take longer, which
  // only helps); 3 s also bounds the rendezvous, so it leaves the ranks' start-up some slack.
  const std::string val = testing::write_colour_shards(s.dir + "/val", 12000);
  const double timeout_s = 3.0;
  wait_all(start_ranks(2, train_args(s, "long_eval", 4, 1, 1) + " --epochs 2 --val-data '" + val +
                              "' --dist-timeout " + std::to_string(timeout_s)));
  double longest_eval = 0;
  int evaluations = 0;
  std::istringstream in(read_file(s.dir + "/runs/long_eval/metrics.jsonl"));
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("eval_s")) continue;
    ++evaluations;
    longest_eval = std::max(longest_eval, j["eval_s"].get<double>());
  }
  CHECK(evaluations == 2);
  INFO("longest evaluation " << longest_eval << " s");
  REQUIRE(longest_eval > timeout_s);  // else this test shows nothing: give it a larger validation set
}

TEST_CASE("a MASTER_PORT already in use is a clear error", "[dist][failure]") {
  Setup s = make_setup("port_in_use", 4);
  testing::ListeningSocket taken;
  const std::string env = "RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(taken.port());
  testing::BackgroundCli rank0 = testing::start_cli(env, train_args(s, "port2", 4, 1, 1) + " --dist-timeout 5");
  const int rc = rank0.wait(30);
  INFO(rank0.err());
  CHECK(rc > 0);
  CHECK_THAT(rank0.err(), Catch::Contains("already in use"));
}

namespace {

// Two network namespaces joined by a veth pair (scripts/netns_nodes.sh), removed when done.
// Making them needs root: elsewhere the tests skip, saying so, except under
// CLIPFORGE_REQUIRE_NETNS=1 (CI), where that is a failure.
class TwoNodes {
 public:
  TwoNodes() : name_("cf" + std::to_string(::getpid() % 1000000)) {
    const std::string log = testing::temp_dir() + "/netns_" + name_ + ".log";
    if (std::system((script() + " up " + name_ + " >" + log + " 2>&1").c_str()) != 0) {
      std::system((script() + " down " + name_ + " >/dev/null 2>&1").c_str());
      const std::string reason = "cannot make network namespaces (root and iproute2 needed): " + read_file(log);
      if (std::getenv("CLIPFORGE_REQUIRE_NETNS")) FAIL(reason);
      testing::skip_test(reason);
    }
  }
  ~TwoNodes() { remove(); }
  // Kills what runs in them and removes both (again in the destructor: harmless).
  void remove() const { std::system((script() + " down " + name_ + " >/dev/null 2>&1").c_str()); }

  // Node `node`'s torchrun with 2 ranks, rendezvous on node 0's address, Gloo on the veth.
  std::string torchrun(int node, int port, const std::string& args, const std::string& log) const {
    const std::string n = std::to_string(node);
    return "timeout 300 ip netns exec " + name_ + n + " env GLOO_SOCKET_IFNAME=" + name_ + "v" + n + " " +
           CLIPFORGE_TORCH_PYTHON + " -m torch.distributed.run --nnodes 2 --node_rank " + n +
           " --nproc_per_node 2 --master_addr 10.77.0.1 --master_port " + std::to_string(port) +
           " -r 1 -t 1 --no_python -- " + CLIPFORGE_BIN + " " + args + " >" + log + " 2>&1";
  }
  void cut_node1() const { REQUIRE(std::system((script() + " cut " + name_).c_str()) == 0); }

 private:
  static std::string script() { return std::string(CLIPFORGE_SOURCE_DIR) + "/scripts/netns_nodes.sh"; }
  std::string name_;
};

// Runs both nodes' commands at once; their exit statuses.
std::vector<int> run_nodes(const std::vector<std::string>& commands) {
  std::vector<int> status(commands.size(), -1);
  std::vector<std::thread> nodes;
  for (size_t k = 0; k < commands.size(); ++k) nodes.emplace_back([&, k] { status[k] = std::system(commands[k].c_str()); });
  for (auto& t : nodes) t.join();
  return status;
}

}  // namespace

TEST_CASE("2 nodes x 2 ranks over a veth pair train like 4 ranks on one node", "[dist][multinode]") {
  TwoNodes nodes;
  Setup s = make_setup("two_nodes", 16);  // 32 samples: 4 steps of 4 ranks x batch 2
  wait_all(start_ranks(4, train_args(s, "one_node", 2, 1, 1)));
  const int port = testing::free_port();
  const std::string args = train_args(s, "two_nodes", 2, 1, 1);
  const std::vector<int> status =
      run_nodes({nodes.torchrun(0, port, args, s.dir + "/node0.log"), nodes.torchrun(1, port, args, s.dir + "/node1.log")});
  INFO("node 0: " << read_file(s.dir + "/node0.log") << "\nnode 1: " << read_file(s.dir + "/node1.log"));
  REQUIRE(status == std::vector<int>{0, 0});
  testing::check_identical_runs(s.dir + "/runs/two_nodes", s.dir + "/runs/one_node");  // same ranks and sums, another wire
}

TEST_CASE("a node that disappears ends the job within the timeout, naming its ranks", "[dist][multinode]") {
  TwoNodes nodes;
  Setup s = make_setup("lost_node", 400);
  const int port = testing::free_port();
  const double timeout_s = 8;
  const std::string args = train_args(s, "lost_node", 2, 1, 1) + " --epochs 50 --log-every-n-steps 1 --dist-timeout " +
                           std::to_string(timeout_s);
  // Their exit statuses are torchrun's, which ends only when the nodes are removed.
  std::thread node1([&] { std::system(nodes.torchrun(1, port, args, s.dir + "/node1.log").c_str()); });
  std::thread node0([&] { std::system(nodes.torchrun(0, port, args, s.dir + "/node0.log").c_str()); });
  const bool trained = wait_for_first_step(s.dir + "/runs/lost_node/metrics.jsonl", 1200);
  if (trained) nodes.cut_node1();
  // Node 0's ranks end by themselves; torchrun's agent then waits in its exit barrier for node
  // 1's agent (its own 300 s, a launcher matter): removing the nodes ends both agents.
  const auto cut = std::chrono::steady_clock::now();
  double seconds = -1;
  for (int i = 0; i < 600 && trained && seconds < 0; ++i) {
    if (worker_pids("lost_node", 0).empty() && worker_pids("lost_node", 1).empty())
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - cut).count();
    ::usleep(100000);
  }
  nodes.remove();
  node0.join();
  node1.join();
  const std::string node0_log = read_file(s.dir + "/node0.log");
  INFO("node 0 log: " << node0_log << "\nnode 0's ranks ended " << seconds << " s after the cut");
  REQUIRE(trained);
  CHECK(seconds >= timeout_s - 1);
  CHECK(seconds < timeout_s + 15);
  // Both of node 0's ranks name node 1's, whose heartbeats stopped reaching the store.
  int naming = 0;
  for (const std::string& line : testing::lines_of(node0_log))
    if (line.rfind("clipforge: error: rank ", 0) == 0 && line.find("rank 2, 3 stopped responding") != std::string::npos) ++naming;
  CHECK(naming == 2);
}

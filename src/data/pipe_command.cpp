#include "data/pipe_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "data/tar_reader.h"

extern char** environ;

namespace clipforge::data {

namespace {

std::string describe(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  return "killed by signal " + std::to_string(WTERMSIG(wait_status));
}

}  // namespace

PipeCommand::PipeCommand(const std::string& command, int timeout_s) : timeout_s_(timeout_s) {
  int ends[2];
  // Close-on-exec: commands that other workers start must not inherit this pipe, or its reader
  // would never see the end of the stream.
  if (::pipe2(ends, O_CLOEXEC) != 0) throw ShardError(SkipReason::kPipeFailed, std::string("cannot start: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, ends[1], STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group (so a kill reaches its children too), default SIGPIPE (the process may
  // ignore it: a command writing to a closed pipe must end) and no blocked signals.
  sigset_t defaults, none;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  const int status = ::posix_spawn(&pid_, "/bin/sh", &actions, &attributes, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(ends[1]);
  if (status != 0) {
    ::close(ends[0]);
    pid_ = -1;
    throw ShardError(SkipReason::kPipeFailed, std::string("cannot start: ") + std::strerror(status));
  }
  fd_ = ends[0];
}

PipeCommand::~PipeCommand() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    kill_group();
    reap(-1);
  }
}

void PipeCommand::kill_group() { ::kill(-pid_, SIGKILL); }

std::size_t PipeCommand::read(char* buffer, std::size_t size) {
  pollfd ready{fd_, POLLIN, 0};
  int polled;
  do polled = ::poll(&ready, 1, timeout_s_ * 1000);
  while (polled < 0 && errno == EINTR);
  if (polled == 0) {
    kill_group();
    throw ShardError(SkipReason::kPipeFailed, "no data for " + std::to_string(timeout_s_) + " s: command killed");
  }
  ssize_t n;
  do n = ::read(fd_, buffer, size);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw ShardError(SkipReason::kPipeFailed, std::string("reading its output: ") + std::strerror(errno));
  return static_cast<std::size_t>(n);
}

bool PipeCommand::reap(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const pid_t done = ::waitpid(pid_, &wait_status_, timeout_ms < 0 ? 0 : WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) {
      pid_ = -1;
      return true;
    }
    if (timeout_ms >= 0 && std::chrono::steady_clock::now() >= deadline) return false;
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void PipeCommand::finish() {
  ::close(fd_);
  fd_ = -1;
  if (!reap(timeout_s_ * 1000)) {
    kill_group();
    reap(-1);
    throw ShardError(SkipReason::kPipeFailed, "did not exit within " + std::to_string(timeout_s_) + " s of its output's end: killed");
  }
  // SIGPIPE is our doing: the archive had ended, and the command was still writing (padding).
  const bool ok = WIFEXITED(wait_status_) ? WEXITSTATUS(wait_status_) == 0 : WTERMSIG(wait_status_) == SIGPIPE;
  if (!ok)
    throw ShardError(SkipReason::kPipeFailed, "command failed (" + describe(wait_status_) + ")");
}

}  // namespace clipforge::data

// A `pipe:` shard's command: /bin/sh -c COMMAND with its stdout read through a pipe. Unlike
// popen, it keeps the child's pid, so a command that stops sending data (a stalled download) is
// killed after a timeout, with everything it started (it runs in its own process group), instead
// of hanging its loader worker for ever.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace clipforge::data {

class PipeCommand {
 public:
  // Starts the command; throws ShardError(kPipeFailed) when it cannot be started.
  PipeCommand(const std::string& command, int timeout_s);
  ~PipeCommand();  // kills a command that is still running, and reaps it
  PipeCommand(const PipeCommand&) = delete;
  PipeCommand& operator=(const PipeCommand&) = delete;

  // Up to `size` bytes of the command's output; 0 at its end. Throws ShardError(kPipeFailed)
  // when no byte arrives within the timeout (the command is killed first).
  std::size_t read(char* buffer, std::size_t size);

  // Closes the pipe (a command still writing gets SIGPIPE) and waits for the command to exit,
  // killing it after the timeout. Throws ShardError(kPipeFailed) unless it exited with status 0
  // or was ended by that SIGPIPE.
  void finish();

 private:
  void kill_group();
  // Waits for the child, at most `timeout_ms` (-1: for ever); true if it was reaped.
  bool reap(int timeout_ms);

  int timeout_s_;
  pid_t pid_ = -1;
  int fd_ = -1;
  int wait_status_ = 0;
};

}  // namespace clipforge::data

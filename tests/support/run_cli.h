// Runs the built `clipforge` binary the way a user would and captures what they would see.
#pragma once

#include <string>
#include <vector>

namespace clipforge::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is appended to the binary path as a shell command line; `stdin_text` is fed to it.
// `shell_prefix` runs first in the same shell (e.g. "ulimit -f 64; ").
CliResult run_cli(const std::string& args, const std::string& stdin_text = "", const std::string& shell_prefix = "");

// Writes `text` to `path` (creating its folder) and returns `path`.
std::string write_text(const std::string& path, const std::string& text);

// `text` split into lines (a command's stdout, one record per line).
std::vector<std::string> lines_of(const std::string& text);

}  // namespace clipforge::testing

namespace clipforge::testing {

// A clipforge process running in the background, started through the shell so `env` (e.g.
// "RANK=1 WORLD_SIZE=2") can prefix it. Its stdout/stderr go to files.
struct BackgroundCli {
  int pid = -1;  // clipforge's own pid
  std::string out_path, err_path, rc_path;

  // Exit status once it ended, or -1 if it is still running after `timeout_s` seconds.
  int wait(double timeout_s) const;
  std::string err() const;
};

BackgroundCli start_cli(const std::string& env, const std::string& args);

}  // namespace clipforge::testing

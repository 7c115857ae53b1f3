// Runs the built `clipforge` binary the way a user would and captures what they would see.
#pragma once

#include <string>

namespace clipforge::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is appended to the binary path as a shell command line; `stdin_text` is fed to it.
CliResult run_cli(const std::string& args, const std::string& stdin_text = "");

}  // namespace clipforge::testing

#include "support/run_cli.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "clipforge/test_paths.h"
#include "support/reference.h"

namespace clipforge::testing {
namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

CliResult run_cli(const std::string& args, const std::string& stdin_text) {
  static int counter = 0;
  const std::string base = temp_dir() + "/cli" + std::to_string(counter++);
  {
    std::ofstream in(base + ".in", std::ios::binary);
    in << stdin_text;
  }
  const std::string command = std::string(CLIPFORGE_BIN) + " " + args + " <" + base + ".in >" + base +
                              ".out 2>" + base + ".err";
  int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(base + ".out");
  result.err = slurp(base + ".err");
  return result;
}

}  // namespace clipforge::testing

#include "support/run_cli.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
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

CliResult run_cli(const std::string& args, const std::string& stdin_text, const std::string& shell_prefix) {
  static int counter = 0;
  const std::string base = temp_dir() + "/cli" + std::to_string(counter++);
  {
    std::ofstream in(base + ".in", std::ios::binary);
    in << stdin_text;
  }
  const std::string command = shell_prefix + CLIPFORGE_BIN + " " + args + " <" + base + ".in >" + base +
                              ".out 2>" + base + ".err";
  int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(base + ".out");
  result.err = slurp(base + ".err");
  return result;
}

}  // namespace clipforge::testing

namespace clipforge::testing {

std::string write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

BackgroundCli start_cli(const std::string& env, const std::string& args) {
  static int counter = 0;
  const std::string base = temp_dir() + "/bg" + std::to_string(counter++);
  BackgroundCli p;
  p.out_path = base + ".out";
  p.err_path = base + ".err";
  p.rc_path = base + ".rc";
  const std::string pid_path = base + ".pid";
  // A script file, so `args` may quote freely: it records clipforge's pid, waits for it and
  // records its status.
  {
    std::ofstream script(base + ".sh");
    script << env << " " << CLIPFORGE_BIN << " " << args << " >" << p.out_path << " 2>" << p.err_path
           << " </dev/null &\necho $! >" << pid_path << "\nwait $!\necho $? >" << p.rc_path << ".tmp\nmv "
           << p.rc_path << ".tmp " << p.rc_path << "\n";
  }
  const std::string command = "sh " + base + ".sh >/dev/null 2>&1 &";
  std::system(command.c_str());
  for (int i = 0; i < 500 && p.pid < 0; ++i) {
    std::ifstream in(pid_path);
    int pid = -1;
    if (in >> pid) p.pid = pid;
    else ::usleep(10000);
  }
  return p;
}

int BackgroundCli::wait(double timeout_s) const {
  for (double waited = 0;; waited += 0.05) {  // looks at least once, so wait(0) polls
    std::ifstream in(rc_path);
    int rc = -1;
    if (in >> rc) return rc;
    if (waited >= timeout_s) return -1;
    ::usleep(50000);
  }
}

std::string BackgroundCli::err() const { return slurp(err_path); }

}  // namespace clipforge::testing

#include "train/run_log.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace clipforge {

RunLog::RunLog(const std::string& run_dir, int64_t resume_step, bool main_process)
    : terminal_(::isatty(STDERR_FILENO) != 0), main_(main_process) {
  if (!main_) return;
  const std::string path = run_dir + "/metrics.jsonl";
  if (file_exists(path)) {
    std::istringstream in(read_file(path));
    std::string kept, line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;  // a line cut by a kill
      if (j.contains("step") && j["step"].is_number_integer() && j["step"].get<int64_t>() > resume_step) continue;
      kept += line + "\n";
    }
    write_file_atomic(path, kept);
  }
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw runtime_error(path + ": cannot open for appending");
}

RunLog::~RunLog() {
  if (progress_open_) std::fputc('\n', stderr);
  if (file_) std::fclose(file_);
}

void RunLog::metrics(const nlohmann::json& line) {
  if (!main_) return;
  const std::string text = line.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

void RunLog::progress(const std::string& text) {
  if (!main_) return;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    progress_open_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

void RunLog::message(const std::string& text) {
  if (!main_) return;
  if (progress_open_) {
    std::fputc('\n', stderr);
    progress_open_ = false;
  }
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace clipforge

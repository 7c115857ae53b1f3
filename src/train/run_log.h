// What a training run tells the user: metrics.jsonl lines (machine-readable, one JSON object per
// line, flushed as written) and a progress line on stderr (rewritten in place on a terminal,
// plain periodic lines otherwise).
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace clipforge {

class RunLog {
 public:
  // Opens <run>/metrics.jsonl for appending. Lines of steps after `resume_step` (the step of the
  // checkpoint the run restarts from, 0 for a fresh start) were logged by a killed attempt and
  // are dropped first, so the file reads as one uninterrupted run. Only the main process (rank 0) writes and prints; the
  // others' RunLog does nothing.
  RunLog(const std::string& run_dir, int64_t resume_step, bool main_process);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void metrics(const nlohmann::json& line);
  void progress(const std::string& text);  // the live line
  void message(const std::string& text);   // a line that stays

 private:
  std::FILE* file_ = nullptr;
  bool terminal_ = false;
  bool main_ = true;
  bool progress_open_ = false;
};

}  // namespace clipforge

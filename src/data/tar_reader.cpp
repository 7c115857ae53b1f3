#include "data/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

namespace clipforge::data {

TarReader::TarReader(const std::string& source, bool command, MemberBound bound)
    : source_(source), command_(command), bound_(std::move(bound)) {
  if (!bound_) bound_ = [](const std::string&) { return kDefaultMaxMemberBytes; };
  archive_ = archive_read_new();
  archive_read_support_filter_all(archive_);
  archive_read_support_format_tar(archive_);
  archive_read_support_format_empty(archive_);
  // A throwing constructor runs no destructor: release what is open before leaving.
  try {
    int status;
    if (command_) {
      // "e": close-on-exec, so commands started by other workers do not inherit this pipe.
      pipe_ = ::popen(source_.c_str(), "re");
      if (pipe_ == nullptr) throw ShardError(SkipReason::kPipeFailed, std::string("cannot start: ") + std::strerror(errno));
      status = archive_read_open_FILE(archive_, pipe_);
    } else {
      status = archive_read_open_filename(archive_, source_.c_str(), 1 << 16);
      if (status != ARCHIVE_OK && archive_errno(archive_) == ENOENT) {
        throw ShardError(SkipReason::kMissingShard, "no such file");
      }
    }
    if (status != ARCHIVE_OK) fail_archive();
  } catch (...) {
    if (archive_ != nullptr) archive_read_free(archive_);
    close_pipe();
    throw;
  }
}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
  close_pipe();
}

int TarReader::close_pipe() {
  if (pipe_ == nullptr) return 0;
  const int status = ::pclose(pipe_);
  pipe_ = nullptr;
  return status;
}

void TarReader::fail_archive() {
  const char* text = archive_error_string(archive_);
  std::string message = text != nullptr ? text : "unreadable archive";
  if (command_) {
    archive_read_free(archive_);
    archive_ = nullptr;
    // A failing command usually shows up as a short or empty stream: report the command.
    const int status = close_pipe();
    if (status != 0) {
      throw ShardError(SkipReason::kPipeFailed, "command failed (" +
                                                    (WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                                       : std::string("killed")) + ")");
    }
  }
  const bool truncated = message.find("runcat") != std::string::npos || message.find("premature") != std::string::npos ||
                         message.find("nexpected end") != std::string::npos;
  throw ShardError(truncated ? SkipReason::kTruncatedTar : SkipReason::kCorruptTar, message);
}

bool TarReader::next(TarMember& member) {
  while (!ended_) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(archive_, &entry);
    if (status == ARCHIVE_EOF) {
      ended_ = true;
      if (command_) {
        const int exit_status = close_pipe();
        if (exit_status != 0) {
          throw ShardError(SkipReason::kPipeFailed, "command exited with status " +
                                                        std::to_string(WIFEXITED(exit_status) ? WEXITSTATUS(exit_status) : -1));
        }
      }
      return false;
    }
    // RETRY is libarchive's "damaged header, could resync": we skip the rest of the shard instead.
    if (status == ARCHIVE_RETRY || status < ARCHIVE_WARN) fail_archive();
    if (archive_entry_filetype(entry) != AE_IFREG) continue;
    member.name = archive_entry_pathname(entry) != nullptr ? archive_entry_pathname(entry) : "";
    const la_int64_t size = archive_entry_size(entry);
    // The size comes from the header: check it before allocating. The next header read skips
    // the unread data.
    member.oversized = size > 0 && static_cast<std::uint64_t>(size) > bound_(member.name);
    member.data.clear();
    if (member.oversized) return true;
    member.data.resize(size > 0 ? static_cast<std::size_t>(size) : 0);
    std::size_t filled = 0;
    while (filled < member.data.size()) {
      const la_ssize_t n = archive_read_data(archive_, member.data.data() + filled, member.data.size() - filled);
      if (n < 0) fail_archive();
      if (n == 0) throw ShardError(SkipReason::kTruncatedTar, "member '" + member.name + "' ends early");
      filled += static_cast<std::size_t>(n);
    }
    return true;
  }
  return false;
}

}  // namespace clipforge::data

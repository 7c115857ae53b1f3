#include "data/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "data/pipe_command.h"

namespace clipforge::data {

struct PipeSource {
  PipeSource(const std::string& command, int timeout_s) : command(command, timeout_s), buffer(1 << 16) {}
  PipeCommand command;
  std::vector<char> buffer;
  // Why reading failed: the exception is rethrown here, as it must not cross libarchive's C frames.
  std::optional<ShardError> error;
};

namespace {

la_ssize_t read_pipe(archive* archive, void* client, const void** buffer) {
  auto& source = *static_cast<PipeSource*>(client);
  *buffer = source.buffer.data();
  try {
    return static_cast<la_ssize_t>(source.command.read(source.buffer.data(), source.buffer.size()));
  } catch (const ShardError& error) {
    source.error = error;
    archive_set_error(archive, EIO, "%s", error.what());
    return -1;
  }
}

}  // namespace

TarReader::TarReader(const std::string& source, bool command, MemberBound bound, int pipe_timeout_s)
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
      pipe_ = std::make_unique<PipeSource>(source_, pipe_timeout_s);
      status = archive_read_open(archive_, pipe_.get(), nullptr, read_pipe, nullptr);
    } else {
      status = archive_read_open_filename(archive_, source_.c_str(), 1 << 16);
      if (status != ARCHIVE_OK && archive_errno(archive_) == ENOENT) {
        throw ShardError(SkipReason::kMissingShard, "no such file");
      }
    }
    if (status != ARCHIVE_OK) fail_archive();
  } catch (...) {
    if (archive_ != nullptr) archive_read_free(archive_);
    throw;
  }
}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

void TarReader::fail_archive() {
  const char* text = archive_error_string(archive_);
  std::string message = text != nullptr ? text : "unreadable archive";
  if (command_) {
    archive_read_free(archive_);
    archive_ = nullptr;
    if (pipe_->error) throw *pipe_->error;
    // A failing command usually shows up as a short or empty stream: report the command.
    pipe_->command.finish();
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
      if (command_) pipe_->command.finish();
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

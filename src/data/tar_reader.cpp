#include "data/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "data/pipe_command.h"

namespace clipforge::data {

// What libarchive reads: a file or a `pipe:` command's stdout, through one callback that notes
// when the stream ended. Damage is told from truncation by that and libarchive's error codes, not
// by its message text: a truncated shard fails after its last byte was read and libarchive asked
// for more, a damaged one while data was still there.
struct StreamSource {
  std::unique_ptr<PipeCommand> command;  // a `pipe:` shard, or
  int fd = -1;                           // a file
  std::int64_t size = 0, position = 0;   // of the file: skips stay inside it
  std::vector<char> buffer = std::vector<char>(1 << 16);
  bool ended = false;  // a read returned the end of the stream
  // Why the command failed: rethrown by the reader, as it must not cross libarchive's C frames.
  std::optional<ShardError> error;

  ~StreamSource() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// libarchive's ARCHIVE_ERRNO_FILE_FORMAT ("unrecognized or invalid file format") is defined in its
// private archive_platform.h only: EFTYPE where the platform has it, else EILSEQ.
#ifdef EFTYPE
constexpr int kArchiveErrnoFileFormat = EFTYPE;
#else
constexpr int kArchiveErrnoFileFormat = EILSEQ;
#endif

la_ssize_t read_source(archive* archive, void* client, const void** buffer) {
  auto& source = *static_cast<StreamSource*>(client);
  *buffer = source.buffer.data();
  std::size_t n = 0;
  if (source.command) {
    try {
      n = source.command->read(source.buffer.data(), source.buffer.size());
    } catch (const ShardError& error) {
      source.error = error;
      archive_set_error(archive, EIO, "%s", error.what());
      return -1;
    }
  } else {
    ssize_t got;
    do got = ::read(source.fd, source.buffer.data(), source.buffer.size());
    while (got < 0 && errno == EINTR);
    if (got < 0) {
      archive_set_error(archive, errno, "read: %s", std::strerror(errno));
      return -1;
    }
    n = static_cast<std::size_t>(got);
    source.position += got;
  }
  if (n == 0) source.ended = true;
  return static_cast<la_ssize_t>(n);
}

// Skipping an unread (oversized) member of a file seeks instead of reading through it. Never past
// the end, so that a member cut short is still read up to the end and seen as truncation.
la_int64_t skip_source(archive*, void* client, la_int64_t request) {
  auto& source = *static_cast<StreamSource*>(client);
  if (source.command || request <= 0) return 0;  // a pipe is read through
  const std::int64_t skip = std::min<std::int64_t>(request, source.size - source.position);
  if (skip <= 0 || ::lseek(source.fd, skip, SEEK_CUR) < 0) return 0;
  source.position += skip;
  return skip;
}

}  // namespace

TarReader::TarReader(const std::string& source, bool command, MemberBound bound, int pipe_timeout_s)
    : source_(source), command_(command), bound_(std::move(bound)) {
  if (!bound_) bound_ = [](const std::string&) { return kDefaultMaxMemberBytes; };
  stream_ = std::make_unique<StreamSource>();
  if (command_) {
    stream_->command = std::make_unique<PipeCommand>(source_, pipe_timeout_s);
  } else {
    stream_->fd = ::open(source_.c_str(), O_RDONLY | O_CLOEXEC);
    if (stream_->fd < 0 && errno == ENOENT) throw ShardError(SkipReason::kMissingShard, "no such file");
    if (stream_->fd < 0) throw ShardError(SkipReason::kCorruptTar, std::string("cannot open: ") + std::strerror(errno));
    struct stat info {};
    // Not a regular file (a device, a FIFO): size 0, so it is read through, never seeked.
    if (::fstat(stream_->fd, &info) == 0 && S_ISREG(info.st_mode)) stream_->size = info.st_size;
  }
  archive_ = archive_read_new();
  archive_read_support_filter_all(archive_);
  archive_read_support_format_tar(archive_);
  archive_read_support_format_empty(archive_);
  // A throwing constructor runs no destructor: release what is open before leaving.
  try {
    archive_read_set_callback_data(archive_, stream_.get());
    archive_read_set_read_callback(archive_, read_source);
    archive_read_set_skip_callback(archive_, skip_source);
    if (archive_read_open1(archive_) != ARCHIVE_OK) fail_archive(ARCHIVE_FATAL);
  } catch (...) {
    if (archive_ != nullptr) archive_read_free(archive_);
    throw;
  }
}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

void TarReader::fail_archive(int status) {
  const char* text = archive_error_string(archive_);
  std::string message = text != nullptr ? text : "unreadable archive";
  // Where it failed in the (decompressed) tar stream, for the message; unknown (-1) when the
  // failure came before a format was chosen, as libarchive then closes its filters.
  const la_int64_t at = archive_filter_bytes(archive_, 0);
  if (at >= 0) message += " (at byte " + std::to_string(at) + " of the tar stream)";
  // "Not a tar" is ARCHIVE_ERRNO_FILE_FORMAT before any header was recognised (no format yet):
  // damage, whether or not the bytes ended. A compressed stream cut short fails there too, while
  // its decompressor bids for the format, but with the decompressor's error.
  const bool not_a_tar = archive_format(archive_) == 0 && archive_errno(archive_) == kArchiveErrnoFileFormat;
  const bool ended = stream_->ended;
  if (command_) {
    archive_read_free(archive_);
    archive_ = nullptr;
    if (stream_->error) throw *stream_->error;
    // A failing command usually shows up as a short or empty stream: report the command.
    stream_->command->finish();
  }
  // ARCHIVE_RETRY is libarchive's "damaged header, could resync" (a bad checksum): damage even
  // when it is the last header of the stream.
  const bool truncated = status != ARCHIVE_RETRY && !not_a_tar && ended;
  throw ShardError(truncated ? SkipReason::kTruncatedTar : SkipReason::kCorruptTar, message);
}

bool TarReader::next(TarMember& member) {
  while (!ended_) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(archive_, &entry);
    if (status == ARCHIVE_EOF) {
      ended_ = true;
      if (command_) stream_->command->finish();
      return false;
    }
    // RETRY is libarchive's "damaged header, could resync": we skip the rest of the shard instead.
    if (status == ARCHIVE_RETRY || status < ARCHIVE_WARN) fail_archive(status);
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
      if (n < 0) fail_archive(static_cast<int>(n));
      if (n == 0) throw ShardError(SkipReason::kTruncatedTar, "member '" + member.name + "' ends early");
      filled += static_cast<std::size_t>(n);
    }
    return true;
  }
  return false;
}

}  // namespace clipforge::data

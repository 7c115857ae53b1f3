// Streams the regular-file members of one tar shard (plain, .gz, .zst, ...: libarchive detects
// the compression) from a file or from a command's stdout, in memory: nothing is ever extracted,
// so member names are only strings and absolute or ".." paths cannot write anywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "data/skip_stats.h"

struct archive;

namespace clipforge::data {

// The rest of a shard cannot be read: missing file, truncated or corrupt archive, failing
// command. The loader counts it under `reason` and moves on to the next shard.
class ShardError : public std::runtime_error {
 public:
  ShardError(SkipReason reason, const std::string& message) : std::runtime_error(message), reason_(reason) {}
  SkipReason reason() const { return reason_; }

 private:
  SkipReason reason_;
};

struct StreamSource;  // tar_reader.cpp: the file or `pipe:` command read, and whether it ended

struct TarMember {
  std::string name;
  std::string data;
  bool oversized = false;  // larger than the reader's bound: `data` left empty, never buffered
};

// Members larger than this are skipped unread by default: web images are far smaller, and a
// crafted header must not make the loader allocate gigabytes.
inline constexpr std::uint64_t kDefaultMaxMemberBytes = 64ull << 20;

// A `pipe:` command that sends nothing for this long is killed and its shard skipped.
inline constexpr int kDefaultPipeTimeoutSeconds = 120;


class TarReader {
 public:
  // The largest member to read, given its name; larger ones come back oversized and unread.
  using MemberBound = std::function<std::uint64_t(const std::string& name)>;

  // `command` true: `source` is run with /bin/sh and its stdout read, the command killed when it
  // sends nothing for `pipe_timeout_s`. A null `bound` allows kDefaultMaxMemberBytes for every
  // member. Throws ShardError.
  TarReader(const std::string& source, bool command, MemberBound bound = nullptr,
            int pipe_timeout_s = kDefaultPipeTimeoutSeconds);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next regular file; false at the end of the archive. Throws ShardError.
  bool next(TarMember& member);

 private:
  // Throws the ShardError for a failed libarchive call (`status`: what it returned): truncated_tar
  // when the stream had ended and libarchive wanted more, corrupt_tar for a damaged header
  // (ARCHIVE_RETRY), bytes that are not a tar, or a failure while data was still there.
  [[noreturn]] void fail_archive(int status);

  std::string source_;
  bool command_;
  MemberBound bound_;
  archive* archive_ = nullptr;
  std::unique_ptr<StreamSource> stream_;
  bool ended_ = false;
};

}  // namespace clipforge::data

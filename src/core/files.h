// Whole-file reads and crash-safe writes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clipforge {

// Reads a whole file; throws input_error naming the path when it cannot.
std::string read_file(const std::string& path);

// The lines of a text file without their "\r\n" or "\n"; trailing blank lines are dropped, inner
// ones kept (so a caller can report one by its position).
std::vector<std::string> read_lines(const std::string& path);

// Writes `bytes` to `path` so that a reader sees either the old file or the new one, never a
// mix: the data goes to a temporary file in the same folder, is flushed to disk, then renamed
// over `path` (rename is atomic on POSIX file systems). Throws runtime_error on any failure and
// leaves the previous file untouched.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Streaming form of the same guarantee for large outputs: write pieces with `write`, then
// `commit`. Destroying an uncommitted writer removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, std::size_t size);
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

// Removes the temporary files that writes killed before their rename left in `dir` (not
// recursive). Only for folders one process owns, such as a run folder at start.
void remove_stale_temp_files(const std::string& dir);

bool file_exists(const std::string& path);
std::uint64_t file_size(const std::string& path);

}  // namespace clipforge

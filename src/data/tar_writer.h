// Writes a tar shard (optionally gzip or zstd compressed) member by member, atomically: readers
// see the finished file or none. Used by `clipforge shards make` and by the tests that build
// their own shards.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct archive;

namespace clipforge {
class AtomicFileWriter;
}

namespace clipforge::data {

enum class Compression { kNone, kGzip, kZstd };

class TarWriter {
 public:
  explicit TarWriter(const std::string& path, Compression compression = Compression::kNone);
  ~TarWriter();  // an uncommitted shard is discarded
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // A regular file member; the name is stored as given. Throws runtime_error.
  void add(const std::string& name, std::string_view data);
  void commit();

 private:
  std::string path_;
  std::unique_ptr<AtomicFileWriter> file_;
  archive* archive_ = nullptr;
};

}  // namespace clipforge::data

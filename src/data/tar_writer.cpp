#include "data/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::data {
namespace {

la_ssize_t write_callback(archive*, void* client, const void* buffer, size_t length) {
  try {
    static_cast<AtomicFileWriter*>(client)->write(buffer, length);
    return static_cast<la_ssize_t>(length);
  } catch (const Error&) {
    return -1;
  }
}

}  // namespace

TarWriter::TarWriter(const std::string& path, Compression compression)
    : path_(path), file_(std::make_unique<AtomicFileWriter>(path)) {
  archive_ = archive_write_new();
  archive_write_set_format_pax_restricted(archive_);
  if (compression == Compression::kGzip) archive_write_add_filter_gzip(archive_);
  if (compression == Compression::kZstd) archive_write_add_filter_zstd(archive_);
  // No padding to 10 KiB blocks beyond what tar requires: shards are files, not tapes.
  archive_write_set_bytes_in_last_block(archive_, 1);
  if (archive_write_open(archive_, file_.get(), nullptr, write_callback, nullptr) != ARCHIVE_OK) {
    throw runtime_error(path_ + ": cannot start tar: " + archive_error_string(archive_));
  }
}

TarWriter::~TarWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
}

void TarWriter::add(const std::string& name, std::string_view data) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, name.c_str());
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_mtime(entry, 0, 0);  // reproducible shards
  const int status = archive_write_header(archive_, entry);
  archive_entry_free(entry);
  if (status != ARCHIVE_OK) throw runtime_error(path_ + ": member '" + name + "': " + archive_error_string(archive_));
  if (!data.empty() && archive_write_data(archive_, data.data(), data.size()) < 0) {
    throw runtime_error(path_ + ": member '" + name + "': " + archive_error_string(archive_));
  }
}

void TarWriter::commit() {
  if (archive_write_close(archive_) != ARCHIVE_OK) {
    throw runtime_error(path_ + ": cannot finish tar: " + archive_error_string(archive_));
  }
  archive_write_free(archive_);
  archive_ = nullptr;
  file_->commit();
}

}  // namespace clipforge::data

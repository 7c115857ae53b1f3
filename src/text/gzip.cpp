#include "text/gzip.h"

#include <zlib.h>

#include "core/error.h"

namespace clipforge::text {
namespace {
constexpr int kGzipWindowBits = 15 + 16;  // +16: gzip wrapper instead of zlib's
constexpr std::size_t kChunk = 1 << 18;
}  // namespace

bool has_gzip_magic(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1F &&
         static_cast<unsigned char>(bytes[1]) == 0x8B;
}

std::string gunzip(std::string_view compressed, const std::string& path) {
  z_stream stream{};
  if (inflateInit2(&stream, kGzipWindowBits) != Z_OK) throw runtime_error(path + ": cannot initialise zlib");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    const std::size_t done = out.size();
    out.resize(done + kChunk);
    stream.next_out = reinterpret_cast<Bytef*>(&out[done]);
    stream.avail_out = static_cast<uInt>(kChunk);
    status = inflate(&stream, Z_NO_FLUSH);
    out.resize(done + kChunk - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;  // input ended inside the stream
  }
  const std::string message = stream.msg ? stream.msg : "";
  inflateEnd(&stream);
  if (status == Z_STREAM_END) return out;
  if (status == Z_BUF_ERROR || status == Z_OK) throw input_error(path + ": gzip data is truncated");
  throw input_error(path + ": corrupt gzip data (" + (message.empty() ? "zlib error " + std::to_string(status) : message) + ")");
}

std::string gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw runtime_error("cannot initialise zlib");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(out.size() - stream.avail_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw runtime_error("gzip compression failed");
  return out;
}

}  // namespace clipforge::text

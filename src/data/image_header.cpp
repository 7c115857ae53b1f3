#include "data/image_header.h"

#include <cstdlib>
#include <cstring>

namespace clipforge::data {
namespace {

bool starts_with(const std::string& bytes, std::size_t at, const char* magic) {
  const std::size_t n = std::strlen(magic);
  return bytes.size() >= at + n && bytes.compare(at, n, magic) == 0;
}

std::uint32_t byte(const std::string& bytes, std::size_t i) { return static_cast<unsigned char>(bytes[i]); }
std::uint32_t big32(const std::string& b, std::size_t i) { return byte(b, i) << 24 | byte(b, i + 1) << 16 | byte(b, i + 2) << 8 | byte(b, i + 3); }
std::uint32_t little16(const std::string& b, std::size_t i) { return byte(b, i) | byte(b, i + 1) << 8; }
std::uint32_t little24(const std::string& b, std::size_t i) { return little16(b, i) | byte(b, i + 2) << 16; }
std::uint32_t little32(const std::string& b, std::size_t i) { return little24(b, i) | byte(b, i + 3) << 24; }

std::optional<ImageSize> sized(std::int64_t width, std::int64_t height) {
  // Dimensions beyond int are beyond every decoder here too; refusing them keeps ImageSize an int pair.
  if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX) return std::nullopt;
  return ImageSize{static_cast<int>(width), static_cast<int>(height)};
}

// The IHDR chunk must come first (PNG spec 5.6), and libpng reads the size from nowhere else.
std::optional<ImageSize> png_size(const std::string& b) {
  if (!starts_with(b, 0, "\x89PNG\r\n\x1a\n") || !starts_with(b, 12, "IHDR") || b.size() < 24) return std::nullopt;
  return sized(big32(b, 16), big32(b, 20));
}

// libwebp's WebPGetFeatures: the first chunk after "RIFF....WEBP" is VP8X (the canvas, which
// the frames must fit), VP8L (lossless) or "VP8 " (lossy key frame).
std::optional<ImageSize> webp_size(const std::string& b) {
  if (!starts_with(b, 0, "RIFF") || !starts_with(b, 8, "WEBP")) return std::nullopt;
  if (starts_with(b, 12, "VP8X") && b.size() >= 30) return sized(std::int64_t{little24(b, 24)} + 1, std::int64_t{little24(b, 27)} + 1);
  if (starts_with(b, 12, "VP8L") && b.size() >= 25 && byte(b, 20) == 0x2f) {
    const std::uint32_t bits = little32(b, 21);  // 14 bits width - 1, 14 bits height - 1
    return sized((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height (top 2 bits: scaling).
  if (starts_with(b, 12, "VP8 ") && starts_with(b, 23, "\x9d\x01\x2a") && b.size() >= 30) {
    return sized(little16(b, 26) & 0x3fff, little16(b, 28) & 0x3fff);
  }
  return std::nullopt;
}

// OS/2 BITMAPCOREHEADER (12 bytes) holds 16-bit sizes; the Windows headers (40 bytes and up)
// signed 32-bit ones, a negative height meaning top-down rows.
std::optional<ImageSize> bmp_size(const std::string& b) {
  if (!starts_with(b, 0, "BM") || b.size() < 26) return std::nullopt;
  const std::uint32_t dib = little32(b, 14);
  if (dib == 12) return sized(little16(b, 18), little16(b, 20));
  const std::int64_t width = static_cast<std::int32_t>(little32(b, 18));
  const std::int64_t height = static_cast<std::int32_t>(little32(b, 22));
  return sized(width, std::llabs(height));
}

}  // namespace

std::optional<ImageSize> jpeg_size(const std::string& bytes) {
  const auto at = [&](std::size_t i) { return byte(bytes, i); };
  if (bytes.size() < 4 || at(0) != 0xFF || at(1) != 0xD8) return std::nullopt;
  std::size_t pos = 2;
  while (pos + 4 <= bytes.size()) {
    if (at(pos) != 0xFF) return std::nullopt;
    const std::uint32_t marker = at(pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length field
      pos += 2;
      continue;
    }
    const std::size_t length = (at(pos + 2) << 8) | at(pos + 3);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    const bool frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (pos + 9 > bytes.size()) return std::nullopt;
      return sized((at(pos + 7) << 8) | at(pos + 8), (at(pos + 5) << 8) | at(pos + 6));
    }
    pos += 2 + length;
  }
  return std::nullopt;
}

std::optional<ImageSize> header_size(const std::string& bytes) {
  for (auto reader : {jpeg_size, png_size, webp_size, bmp_size}) {
    if (auto size = reader(bytes)) return size;
  }
  return std::nullopt;
}

}  // namespace clipforge::data

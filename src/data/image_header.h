// Image width and height read from the first bytes of an encoded image, without decoding: what
// the decoded-pixel limit (decode.h) is checked against before any pixel buffer is allocated.
// Each reader looks where the format's own decoder looks, so a header cannot claim one size to
// us and another to the decoder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clipforge::data {

// The default decoded-pixel limit: PIL's Image.MAX_IMAGE_PIXELS (1024 * 1024 * 1024 // 4 // 3),
// the size at which PIL starts to warn about a decompression bomb. clipforge refuses images over it.
inline constexpr std::uint64_t kDefaultMaxImagePixels = 89478485;

struct ImageSize {
  int width = 0, height = 0;
  std::uint64_t pixels() const { return static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height); }
};

// Width and height from a JPEG's frame header; nullopt for anything else.
std::optional<ImageSize> jpeg_size(const std::string& bytes);

// The size stated by the header of a PNG (IHDR), WebP (VP8, VP8L or VP8X chunk), BMP (DIB
// header) or JPEG (frame header); nullopt for other formats, for headers too short to hold the
// size, and for zero sizes.
std::optional<ImageSize> header_size(const std::string& bytes);

}  // namespace clipforge::data

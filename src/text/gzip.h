// In-memory gzip with zlib, for merges files.
#pragma once

#include <string>
#include <string_view>

namespace clipforge::text {

bool has_gzip_magic(std::string_view bytes);

// Inflates a complete gzip stream; throws input_error naming `path` when it is corrupt or cut.
std::string gunzip(std::string_view compressed, const std::string& path);

std::string gzip(std::string_view data);

}  // namespace clipforge::text

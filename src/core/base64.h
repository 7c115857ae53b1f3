// Standard base64 (RFC 4648, section 4) to bytes: how JSON requests carry images to
// `clipforge serve`.
#pragma once

#include <string>
#include <string_view>

namespace clipforge {

// Accepts padded or unpadded input and a leading data URL prefix ("data:image/png;base64,"),
// which browsers and many clients send. Throws input_error naming `name` and the character
// offset of the first byte that is not base64.
std::string base64_decode(std::string_view text, const std::string& name);

}  // namespace clipforge

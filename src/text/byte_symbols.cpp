#include "text/byte_symbols.h"

#include "text/utf8.h"

namespace clipforge::text {
namespace {

bool printable(int byte) { return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE; }

struct Tables {
  std::array<unsigned char, 256> order{};
  std::array<char32_t, 256> code_point{};
  std::array<std::string, 256> symbol;
  Tables() {
    int next = 0;
    for (int byte = 0; byte < 256; ++byte) {
      if (printable(byte)) {
        order[next++] = static_cast<unsigned char>(byte);
        code_point[byte] = static_cast<char32_t>(byte);
      }
    }
    int shifted = 0;
    for (int byte = 0; byte < 256; ++byte) {
      if (!printable(byte)) {
        order[next++] = static_cast<unsigned char>(byte);
        code_point[byte] = static_cast<char32_t>(256 + shifted++);
      }
    }
    for (int byte = 0; byte < 256; ++byte) append_utf8(symbol[byte], code_point[byte]);
  }
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

}  // namespace

const std::array<unsigned char, 256>& bytes_in_vocab_order() { return tables().order; }

const std::string& byte_symbol(unsigned char byte) { return tables().symbol[byte]; }

std::optional<unsigned char> symbol_byte(char32_t cp) {
  if (cp < 256) {
    if (printable(static_cast<int>(cp))) return static_cast<unsigned char>(cp);
    return std::nullopt;
  }
  const auto& t = tables();
  if (cp >= 256 + 68) return std::nullopt;  // 68 bytes are not printable
  // Shifted symbols follow the non-printable bytes in increasing byte order.
  return t.order[188 + (cp - 256)];
}

}  // namespace clipforge::text

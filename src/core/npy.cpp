#include "core/npy.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "core/files.h"

namespace clipforge::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;

// The header is a Python dict literal; this reads exactly the subset NumPy writes and names the
// byte offset of the first thing it does not understand.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::size_t base, const std::string& name)
      : text_(text), base_(base), name_(name) {}

  Array parse() {
    Array array;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (peek() != '}') {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        peek();
        const std::size_t at = pos_;
        array.dtype = dtype_of(string_literal(), at);
        have_descr = true;
      } else if (key == "fortran_order") {
        peek();
        const std::size_t at = pos_;
        if (word() != "False") fail(at, "fortran_order must be False (only C order is supported)");
        have_order = true;
      } else if (key == "shape") {
        array.shape = shape_tuple();
        have_shape = true;
      } else {
        fail(pos_, "unknown header key '" + key + "'");
      }
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) fail(pos_, "unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape) fail(0, "header lacks 'descr', 'fortran_order' or 'shape'");
    return array;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw input_error(name_ + ": offset " + std::to_string(base_ + at) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char peek() {
    skip_space();
    if (pos_ >= text_.size()) fail(pos_, "header ends early");
    return text_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(pos_, std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail(pos_, "expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail(pos_, "unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }
  std::string word() {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::isalpha(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  std::vector<std::int64_t> shape_tuple() {
    std::vector<std::int64_t> shape;
    expect('(');
    while (peek() != ')') {
      const std::size_t start = pos_;
      std::int64_t value = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) fail(start, "dimension too large");
        value = value * 10 + (text_[pos_++] - '0');
      }
      if (pos_ == start) fail(start, "expected a non-negative dimension");
      shape.push_back(value);
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return shape;
  }
  Dtype dtype_of(const std::string& d, std::size_t at) const {
    if (d == "<f4") return Dtype::kFloat32;
    if (d == "<f2") return Dtype::kFloat16;
    if (d == "<i8") return Dtype::kInt64;
    fail(at, "unsupported dtype '" + d + "' (expected <f4, <f2 or <i8)");
  }

  std::string_view text_;
  std::size_t base_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::int64_t element_count(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / 8 / d) throw input_error("npy: shape too large");
    n *= d;
  }
  return n;
}

std::uint32_t read_le(const char* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::size_t item_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::kFloat32: return 4;
    case Dtype::kFloat16: return 2;
    case Dtype::kInt64: return 8;
  }
  return 0;
}

const char* descr(Dtype dtype) {
  switch (dtype) {
    case Dtype::kFloat32: return "<f4";
    case Dtype::kFloat16: return "<f2";
    case Dtype::kInt64: return "<i8";
  }
  return "";
}

std::int64_t Array::elements() const { return element_count(shape); }

Array parse(std::string_view bytes, const std::string& name) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    throw input_error(name + ": offset 0: not a .npy file (bad magic)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) {
    throw input_error(name + ": offset 6: unsupported .npy version " + std::to_string(major));
  }
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t header_start = 8 + length_bytes;
  if (bytes.size() < header_start) throw input_error(name + ": offset 8: file ends inside the header length");
  const std::size_t header_length = read_le(bytes.data() + 8, static_cast<int>(length_bytes));
  if (bytes.size() < header_start + header_length) {
    throw input_error(name + ": offset " + std::to_string(header_start) + ": header of " +
                      std::to_string(header_length) + " bytes runs past the end of the file");
  }
  Array array = HeaderParser(bytes.substr(header_start, header_length), header_start, name).parse();
  const std::size_t data_start = header_start + header_length;
  const std::uint64_t expected = static_cast<std::uint64_t>(element_count(array.shape)) * item_size(array.dtype);
  if (bytes.size() - data_start != expected) {
    throw input_error(name + ": offset " + std::to_string(data_start) + ": data holds " +
                      std::to_string(bytes.size() - data_start) + " bytes, shape and dtype need " +
                      std::to_string(expected));
  }
  array.data.assign(bytes.begin() + data_start, bytes.end());
  return array;
}

Array read(const std::string& path) { return parse(read_file(path), path); }

FloatMatrix read_float_matrix(const std::string& path) {
  const Array a = read(path);
  if (a.shape.size() != 2)
    throw mismatch_error(path + ": expected a 2-D [rows, dim] array, not " + std::to_string(a.shape.size()) + "-D");
  if (a.dtype == Dtype::kInt64) throw mismatch_error(path + ": expected float32 or float16 values, not int64");
  FloatMatrix m{a.shape[0], a.shape[1], std::vector<float>(static_cast<std::size_t>(a.elements()))};
  if (a.dtype == Dtype::kFloat32) {
    std::memcpy(m.values.data(), a.data.data(), m.values.size() * sizeof(float));
  } else {
    const std::uint16_t* half = a.as<std::uint16_t>();
    for (std::size_t i = 0; i < m.values.size(); ++i) m.values[i] = half_to_float(half[i]);
  }
  return m;
}

std::string serialize(Dtype dtype, const std::vector<std::int64_t>& shape, const void* data) {
  std::string dict = std::string("{'descr': '") + descr(dtype) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dict += ',';  // Python's one-element tuple
  dict += ')';
  dict += ", }";
  // Data starts on a 64-byte boundary; the header ends with a newline, as NumPy writes it.
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  out += dict;
  const std::size_t n = static_cast<std::size_t>(element_count(shape)) * item_size(dtype);
  out.append(static_cast<const char*>(data), n);
  return out;
}

void write(const std::string& path, Dtype dtype, const std::vector<std::int64_t>& shape, const void* data) {
  write_file_atomic(path, serialize(dtype, shape, data));
}

std::uint16_t float_to_half(float value) {
  std::uint32_t f;
  std::memcpy(&f, &value, 4);
  const std::uint32_t sign = (f >> 16) & 0x8000u;
  const std::uint32_t abs = f & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds past the largest half
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): shift the mantissa with its implicit bit, rounding to nearest even.
    if (abs < 0x33000000u) return static_cast<std::uint16_t>(sign);
    const std::uint32_t exponent = abs >> 23;
    const std::uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exponent;
    std::uint32_t half = mantissa >> shift;
    const std::uint32_t rest = mantissa & ((1u << shift) - 1);
    const std::uint32_t midway = 1u << (shift - 1);
    if (rest > midway || (rest == midway && (half & 1u))) ++half;
    return static_cast<std::uint16_t>(sign | half);
  }
  std::uint32_t half = ((abs - 0x38000000u) >> 13);
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return static_cast<std::uint16_t>(sign | half);
}

float half_to_float(std::uint16_t bits) {
  const std::uint32_t sign = static_cast<std::uint32_t>(bits & 0x8000u) << 16;
  std::uint32_t exponent = (bits >> 10) & 0x1fu;
  std::uint32_t mantissa = bits & 0x3ffu;
  std::uint32_t f;
  if (exponent == 0x1f) {
    f = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    f = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    f = sign;
  } else {
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    f = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &f, 4);
  return value;
}

}  // namespace clipforge::npy

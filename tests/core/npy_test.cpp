// .npy round trips and every header defect named with its byte offset.
#include "core/npy.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "support/reference.h"

using namespace clipforge;

namespace {
std::string message_of(const std::string& bytes) {
  try {
    npy::parse(bytes, "t.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// What numpy.save(np.arange(3, dtype='<i8')) writes.
std::string numpy_arange3() {
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');  // numpy aligns the data to 64 bytes
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header.size()) + '\0' + header;
  for (std::int64_t v = 0; v < 3; ++v) bytes.append(reinterpret_cast<const char*>(&v), 8);
  return bytes;
}
}  // namespace

TEST_CASE("npy arrays round-trip in float32, float16 and int64", "[core][npy]") {
  const std::vector<float> values = {0.5f, -1.25f, 3e-8f, 65504.0f, 1e9f, 0.0f};
  const std::string path = testing::temp_dir() + "/x.npy";
  npy::write(path, npy::Dtype::kFloat32, {2, 3}, values.data());
  const npy::Array a = npy::read(path);
  CHECK(a.dtype == npy::Dtype::kFloat32);
  CHECK(a.shape == std::vector<std::int64_t>{2, 3});
  CHECK(std::vector<float>(a.as<float>(), a.as<float>() + 6) == values);

  const std::vector<std::int64_t> ints = {-1, 1LL << 40, 7};
  const npy::Array b = npy::parse(npy::serialize(npy::Dtype::kInt64, {3}, ints.data()), "b");
  CHECK(std::vector<std::int64_t>(b.as<std::int64_t>(), b.as<std::int64_t>() + 3) == ints);

  std::vector<std::uint16_t> halves;
  for (float v : {1.0f, -2.5f, 0.1f}) halves.push_back(npy::float_to_half(v));
  const npy::Array c = npy::parse(npy::serialize(npy::Dtype::kFloat16, {1, 3}, halves.data()), "c");
  CHECK(npy::half_to_float(c.as<std::uint16_t>()[1]) == -2.5f);

  const npy::Array scalar = npy::parse(npy::serialize(npy::Dtype::kFloat32, {}, values.data()), "s");
  CHECK(scalar.shape.empty());
  CHECK(scalar.elements() == 1);
}

TEST_CASE("npy output matches numpy's own header byte for byte", "[core][npy]") {
  const std::vector<std::int64_t> v = {0, 1, 2};
  CHECK(npy::serialize(npy::Dtype::kInt64, {3}, v.data()) == numpy_arange3());
  CHECK(npy::parse(numpy_arange3(), "n").shape == std::vector<std::int64_t>{3});
}

TEST_CASE("half conversion rounds to nearest even and keeps specials", "[core][npy]") {
  CHECK(npy::float_to_half(1.0f) == 0x3c00);
  CHECK(npy::float_to_half(65504.0f) == 0x7bff);
  CHECK(npy::float_to_half(65520.0f) == 0x7c00);
  CHECK(npy::float_to_half(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(npy::float_to_half(std::ldexp(1.0f, -25)) == 0x0000);
  CHECK(npy::float_to_half(0.1f) == 0x2e66);
  CHECK(npy::float_to_half(-0.0f) == 0x8000);
  CHECK(std::isnan(npy::half_to_float(npy::float_to_half(NAN))));
  CHECK(npy::half_to_float(0x0001) == std::ldexp(1.0f, -24));
  for (std::uint32_t bits = 0; bits < 0x7c00; bits += 7) {
    CHECK(npy::float_to_half(npy::half_to_float(static_cast<std::uint16_t>(bits))) == bits);
  }
}

TEST_CASE("bad npy headers are rejected naming the file and offset", "[core][npy]") {
  const std::string good = numpy_arange3();
  CHECK(message_of("PK\x03\x04 not npy") == "t.npy: offset 0: not a .npy file (bad magic)");
  std::string version = good;
  version[6] = 9;
  CHECK(message_of(version) == "t.npy: offset 6: unsupported .npy version 9");
  std::string dtype = good;
  dtype.replace(dtype.find("<i8"), 3, "<f8");
  CHECK(message_of(dtype) == "t.npy: offset 20: unsupported dtype '<f8' (expected <f4, <f2 or <i8)");
  std::string order = good;
  order.replace(order.find("False"), 5, "True ");
  CHECK(message_of(order).find("fortran_order must be False") != std::string::npos);
  CHECK(message_of(good.substr(0, good.size() - 8)) == "t.npy: offset 128: data holds 16 bytes, shape and dtype need 24");
  CHECK(message_of(good.substr(0, 30)).find("t.npy: offset 10: header of 118 bytes runs past") == 0);
  std::string key = good;
  key.replace(key.find("'shape'"), 7, "'shapf'");
  CHECK(message_of(key).find("unknown header key 'shapf'") != std::string::npos);
}

#include "model/safetensors.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/files.h"
#include "support/reference.h"

using namespace clipforge;

namespace {

std::string bytes_with_header(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string write_temp(const std::string& name, const std::string& bytes) {
  const std::string path = testing::temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// The error message of reading `bytes` as a safetensors file named `name`.
std::string read_error(const std::string& name, const std::string& bytes) {
  const std::string path = write_temp(name, bytes);
  try {
    read_safetensors(path);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    const std::string message = e.what();
    CHECK(message.find(name) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    return message;
  }
  FAIL("expected " << name << " to be refused");
  return "";
}

const std::string k8Bytes(8, '\x01');

}  // namespace

TEST_CASE("safetensors round trip is bit-identical for every dtype", "[model][safetensors]") {
  torch::manual_seed(0);
  NamedTensors tensors = {
      {"f32", torch::randn({3, 5})},
      {"f16", torch::randn({7}).to(torch::kHalf)},
      {"bf16", torch::randn({2, 2}).to(torch::kBFloat16)},
      {"f64", torch::randn({3}, torch::kDouble)},
      {"i64_scalar", torch::tensor(int64_t{42}).reshape({})},
      {"u8", torch::randint(0, 255, {4, 3}).to(torch::kByte)},
      {"bool", torch::tensor({true, false, true})},
      {"empty", torch::zeros({0, 4})},
  };
  const std::string path = testing::temp_dir() + "/roundtrip.safetensors";
  write_safetensors(path, tensors, {{"note", "hello"}});
  SafetensorsFile back = read_safetensors(path);
  CHECK(back.metadata.at("note") == "hello");
  REQUIRE(back.tensors.size() == tensors.size());
  std::map<std::string, torch::Tensor> by_name(back.tensors.begin(), back.tensors.end());
  for (const auto& [name, t] : tensors) {
    INFO(name);
    const torch::Tensor& r = by_name.at(name);
    CHECK(r.scalar_type() == t.scalar_type());
    CHECK(r.sizes() == t.sizes());
    CHECK(torch::equal(r, t));
  }
  // The header is padded to 8 bytes and every tensor is aligned to its element size.
  const std::string raw = read_file(path);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(raw[i]);
  CHECK(header_len % 8 == 0);
}

TEST_CASE("the reference weights read with their dtypes and shapes", "[model][safetensors]") {
  CLIPFORGE_SHARED_PATH_OR_SKIP(path, "reference/models/rn_tiny/rn_tiny.safetensors");
  SafetensorsFile file = read_safetensors(path);
  CHECK(file.tensors.size() == 153);
  std::map<std::string, torch::Tensor> by_name(file.tensors.begin(), file.tensors.end());
  CHECK(by_name.at("visual.bn1.num_batches_tracked").scalar_type() == torch::kLong);
  CHECK(by_name.at("visual.bn1.num_batches_tracked").dim() == 0);
  CHECK(by_name.at("token_embedding.weight").sizes() == torch::IntArrayRef{49408, 32});
}

TEST_CASE("malformed safetensors files are refused with one line naming file and key", "[model][safetensors]") {
  const std::string ok_entry = R"("w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})";

  CHECK_THAT(read_error("short.safetensors", "abc"), Catch::Contains("truncated"));
  CHECK_THAT(read_error("past_end.safetensors", std::string("\xff\x00\x00\x00\x00\x00\x00\x00", 8) + "{}"),
             Catch::Contains("runs past the end of the file"));
  CHECK_THAT(read_error("huge_header.safetensors", std::string("\x00\x00\x00\x00\x00\x01\x00\x00", 8)),
             Catch::Contains("exceeds the limit"));
  CHECK_THAT(read_error("not_json.safetensors", bytes_with_header("{\"w\": [1, 2", k8Bytes)),
             Catch::Contains("not valid JSON"));
  CHECK_THAT(read_error("array.safetensors", bytes_with_header("[1, 2, 3]", "")), Catch::Contains("not a JSON object"));
  // Found by fuzzing: a number no JSON type can hold escaped as a foreign exception.
  CHECK_THAT(read_error("overflow.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [88888888888888888e8880000014], "data_offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("not valid JSON"));
  CHECK_THAT(read_error("dtype.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F8_E9", "shape": [2], "data_offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("'w'") && Catch::Contains("unknown dtype \"F8_E9\""));
  CHECK_THAT(read_error("size.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("'w'") && Catch::Contains("8 bytes") && Catch::Contains("needs 12"));
  CHECK_THAT(read_error("range.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", k8Bytes)),
             Catch::Contains("'w'") && Catch::Contains("past the end of the data"));
  CHECK_THAT(read_error("overlap.safetensors",
                        bytes_with_header(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                             "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                                          k8Bytes)),
             Catch::Contains("overlaps"));
  CHECK_THAT(read_error("hole.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", k8Bytes)),
             Catch::Contains("unused bytes 0..4"));
  CHECK_THAT(read_error("trailing.safetensors", bytes_with_header("{" + ok_entry + "}", k8Bytes + "xx")),
             Catch::Contains("2 bytes after the last tensor"));
  CHECK_THAT(read_error("reversed.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}})", k8Bytes)),
             Catch::Contains("end before they begin"));
  CHECK_THAT(read_error("negative.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("non-negative integer"));
  CHECK_THAT(read_error("fields.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [2], "offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("unknown field 'offsets'"));
  CHECK_THAT(read_error("metadata.safetensors", bytes_with_header(R"({"__metadata__": {"a": 1}})", "")),
             Catch::Contains("__metadata__ 'a' is not a string"));
  CHECK_THAT(read_error("overflow.safetensors",
                        bytes_with_header(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296],
                                             "data_offsets": [0, 8]}})", k8Bytes)),
             Catch::Contains("too large"));
}

TEST_CASE("a missing safetensors file is an input error naming it", "[model][safetensors]") {
  try {
    read_safetensors(testing::temp_dir() + "/absent.safetensors");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK_THAT(std::string(e.what()), Catch::Contains("absent.safetensors"));
  }
}

#include <catch2/catch.hpp>

#include "core/base64.h"
#include "core/error.h"

using clipforge::base64_decode;

TEST_CASE("base64 decodes RFC 4648's test vectors, padded or not", "[core][base64]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""}, {"Zg==", "f"}, {"Zm8=", "fo"}, {"Zm9v", "foo"}, {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"}, {"Zm9vYmFy", "foobar"}};
  for (const auto& [encoded, decoded] : vectors) {
    CHECK(base64_decode(encoded, "x") == decoded);
    std::string unpadded = encoded;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    CHECK(base64_decode(unpadded, "x") == decoded);
  }
  // Every byte value survives, and a data URL's prefix is skipped.
  CHECK(base64_decode("AP8Q7w==", "x") == std::string("\x00\xff\x10\xef", 4));
  CHECK(base64_decode("data:image/png;base64,Zm9v", "x") == "foo");
}

TEST_CASE("base64 names the field and the offset of a bad character", "[core][base64]") {
  CHECK_THROWS_WITH(base64_decode("Zm9v!mFy", "images[2]"), "images[2]: not base64 at character 4");
  CHECK_THROWS_WITH(base64_decode("Zm9vY", "images[0]"), Catch::StartsWith("images[0]: base64 ends mid-byte"));
  CHECK_THROWS_WITH(base64_decode("Zm=9v", "x"), "x: not base64 at character 2");
  CHECK_THROWS_WITH(base64_decode("data:text/plain,foo", "x"), Catch::Contains("a data URL must be base64"));
  CHECK_THROWS_AS(base64_decode("Zm9v\n", "x"), clipforge::Error);
}

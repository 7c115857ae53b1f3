#include "core/json_file.h"

#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/files.h"
#include "support/reference.h"

using namespace clipforge;

TEST_CASE("a JSON file is parsed whole", "[core][json]") {
  const std::string path = testing::temp_dir() + "/good.json";
  write_file_atomic(path, R"({"embed_dim": 512, "vision_cfg": {"layers": [3, 4]}})");
  const nlohmann::json json = read_json_file(path);
  CHECK(json.at("embed_dim").get<int>() == 512);
  CHECK(json.at("vision_cfg").at("layers").at(1).get<int>() == 4);
}

TEST_CASE("a broken JSON file is an input error naming the file and the byte", "[core][json]") {
  const std::string path = testing::temp_dir() + "/broken.json";
  write_file_atomic(path, "{\"embed_dim\": 512,\n \"width\" 768}");
  try {
    read_json_file(path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK(std::string(e.what()) == path + ": not valid JSON at byte 31");
  }
}

TEST_CASE("a missing JSON file is an input error naming it", "[core][json]") {
  const std::string path = testing::temp_dir() + "/absent.json";
  try {
    read_json_file(path);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK_THAT(e.what(), Catch::Contains(path));
  }
}

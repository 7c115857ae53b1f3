#include "core/files.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
#include "support/reference.h"

using namespace clipforge;

TEST_CASE("atomic write replaces the whole file and leaves no temporary behind", "[core][files]") {
  const std::string path = testing::temp_dir() + "/atomic.txt";
  write_file_atomic(path, "first version");
  write_file_atomic(path, "second");
  CHECK(read_file(path) == "second");
  for (const auto& entry : std::filesystem::directory_iterator(testing::temp_dir()))
    CHECK(entry.path().filename().string().find("atomic.txt.tmp") == std::string::npos);
}

TEST_CASE("an uncommitted atomic writer leaves the previous file intact", "[core][files]") {
  const std::string path = testing::temp_dir() + "/kept.txt";
  write_file_atomic(path, "previous");
  {
    AtomicFileWriter writer(path);
    writer.write("partial", 7);
    // destroyed without commit, as when an exception unwinds mid-write
  }
  CHECK(read_file(path) == "previous");
}

TEST_CASE("writing into a missing folder is a runtime error naming the path", "[core][files]") {
  const std::string path = testing::temp_dir() + "/no/such/folder/file.bin";
  try {
    write_file_atomic(path, "x");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRuntime);
    CHECK(std::string(e.what()).find("no/such/folder/file.bin") != std::string::npos);
  }
}

TEST_CASE("reading a missing file is an input error naming it", "[core][files]") {
  try {
    read_file("/nonexistent/clipforge.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kInput);
    CHECK(std::string(e.what()).find("/nonexistent/clipforge.json") != std::string::npos);
  }
}

#include "support/reference.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "clipforge/test_paths.h"

namespace clipforge::testing {

std::optional<std::string> shared_dir() {
  namespace fs = std::filesystem;
  const char* env = std::getenv("CLIPFORGE_SHARED_DIR");
  fs::path dir = env ? fs::path(env) : fs::path(CLIPFORGE_SOURCE_DIR) / ".." / "shared";
  if (fs::is_directory(dir / "reference")) return fs::canonical(dir).string();
  return std::nullopt;
}

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    namespace fs = std::filesystem;
    path = (fs::temp_directory_path() / ("clipforge_tests_" + std::to_string(::getpid()))).string();
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
}  // namespace

std::string temp_dir() {
  static TempDir dir;
  return dir.path;
}

void skip_test(const std::string& reason) {
  std::cout << "SKIPPED: " << reason << std::endl;
  std::exit(kSkipExitCode);  // static destructors still run: the scratch folder goes
}

}  // namespace clipforge::testing

// Locating the team's reference data (../shared beside the checkout) from tests.
//
// The data is not part of the project, so a user's clone may not have it: tests that need it
// are reported as skipped (CTest's "Not Run (Skipped)", listed with the reason at the end of
// scripts/test.sh). CI sets CLIPFORGE_REQUIRE_SHARED=1, which turns that skip into a failure, so
// CI never passes by skipping.
#pragma once

#include <optional>
#include <string>

namespace clipforge::testing {

// The shared folder (CLIPFORGE_SHARED_DIR, else ../shared beside the source tree), if present.
std::optional<std::string> shared_dir();

// A scratch folder unique to this test process, removed at exit.
std::string temp_dir();

// The exit status CTest reads as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
inline constexpr int kSkipExitCode = 77;

// Ends this test process as skipped, printing "SKIPPED: <reason>" first. CTest runs every test
// case in a process of its own, so no other test is cut short.
[[noreturn]] void skip_test(const std::string& reason);

}  // namespace clipforge::testing

// Binds `var` to the path of `relative` inside ../shared, or skips (fails under CI) the test.
#define CLIPFORGE_SHARED_PATH_OR_SKIP(var, relative)                                       \
  std::string var;                                                                          \
  do {                                                                                      \
    auto shared_ = ::clipforge::testing::shared_dir();                                      \
    if (!shared_) {                                                                         \
      if (std::getenv("CLIPFORGE_REQUIRE_SHARED") != nullptr) {                             \
        FAIL("../shared/ not found and CLIPFORGE_REQUIRE_SHARED is set");                   \
      }                                                                                     \
      ::clipforge::testing::skip_test("../shared/ not found (set CLIPFORGE_SHARED_DIR)");    \
    }                                                                                       \
    var = *shared_ + "/" + (relative);                                                      \
  } while (0)

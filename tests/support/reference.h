// Locating the team's reference data (../shared beside the checkout) from tests.
//
// The data is not part of the project, so a user's clone may not have it: tests that need it
// skip with a visible warning. CI sets CLIPFORGE_REQUIRE_SHARED=1, which turns that skip into a
// failure, so CI never passes by skipping.
#pragma once

#include <optional>
#include <string>

namespace clipforge::testing {

// The shared folder (CLIPFORGE_SHARED_DIR, else ../shared beside the source tree), if present.
std::optional<std::string> shared_dir();

// A scratch folder unique to this test process, removed at exit.
std::string temp_dir();

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
      WARN("SKIPPED: ../shared/ not found (set CLIPFORGE_SHARED_DIR to run this test)");   \
      return;                                                                               \
    }                                                                                       \
    var = *shared_ + "/" + (relative);                                                      \
  } while (0)

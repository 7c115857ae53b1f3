// Helpers for tests that run several ranks on this machine.
#pragma once

namespace clipforge::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace clipforge::testing

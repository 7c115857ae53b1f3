// Helpers for tests that run several ranks on this machine.
#pragma once

namespace clipforge::testing {

// A socket listening on 127.0.0.1 at a port the kernel picked; closed when destroyed.
class ListeningSocket {
 public:
  ListeningSocket();
  ~ListeningSocket();
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

}  // namespace clipforge::testing

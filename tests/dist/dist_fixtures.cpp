#include "dist/dist_fixtures.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace clipforge::testing {

ListeningSocket::ListeningSocket() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(fd_, 1);
  socklen_t length = sizeof address;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
}

ListeningSocket::~ListeningSocket() { ::close(fd_); }

int free_port() { return ListeningSocket().port(); }

}  // namespace clipforge::testing

// A plain TCP connection to the hub under test, for bytes no HTTP client
// would send (or to watch how the server answers and closes on the wire).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace orderhub::testing {

// Connects to 127.0.0.1:`port` and sends `bytes` (possibly none); the open
// descriptor, or -1 if either failed. The caller closes it.
inline int ConnectAndSend(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      (!bytes.empty() && ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace orderhub::testing

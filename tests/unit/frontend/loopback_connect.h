// Test helper: a TCP connection to a loopback port from a chosen 127.0.0.x source address, so
// one test can play several clients (or a proxy and its clients), and what it has read. The caller
// closes the fd.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace shardtrack {

inline int ConnectFrom(const char* source, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0) << source;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  return fd;
}

// What a test client has read from the server so far.
struct Received {
  std::string bytes;
  bool closed = false;  // the server closed the connection (EOF or reset)
};

// Appends what the non-blocking `fd` holds now to `received`, and notes a close.
inline void ReadAvailable(int fd, Received& received) {
  char chunk[4096];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) {
      received.bytes.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      received.closed = true;
    }
    return;
  }
}

}  // namespace shardtrack

// UdpSocket: one non-blocking UDP socket watched by an EventLoop. It hands each datagram to a
// callback with its sender and sends with sendto; it knows nothing of what the datagrams mean.
// At most `max_datagrams_per_turn` datagrams are read per reactor turn, so a flood cannot starve
// the loop's other handles (the rest wait in the kernel's buffer, level-triggered). A send that
// would block is dropped: UDP callers must tolerate loss anyway. Owns its descriptor. Loop
// thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/reactor/event_loop.h"
#include "common/reactor/socket_util.h"
#include "common/result.h"

namespace shardtrack {

class UdpSocket {
 public:
  using OnDatagram = std::function<void(std::string_view datagram, const Endpoint& from)>;

  struct Options {
    std::string bind_address = "127.0.0.1";  // IPv4 or IPv6 literal, brackets allowed
    std::uint16_t port = 0;                  // 0: an ephemeral port (see port())
    std::uint32_t max_datagrams_per_turn = 64;
    bool reuse_port = false;  // SO_REUSEPORT: several processes share the port
  };

  UdpSocket(EventLoop& loop, Options options, OnDatagram on_datagram);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Binds and starts watching. The error names the address and the reason.
  Status Open();
  std::uint16_t port() const { return port_; }

  // False when the datagram was not sent (socket closed, kernel buffer full, bad destination).
  bool Send(const Endpoint& to, std::string_view datagram);
  // Takes no more datagrams (graceful shutdown); Send still works for answers in flight.
  void StopReading();

 private:
  void OnReadable();

  EventLoop& loop_;
  Options options_;
  OnDatagram on_datagram_;
  int fd_ = -1;
  bool is_v6_ = false;
  std::uint16_t port_ = 0;
  std::string buffer_;
};

}  // namespace shardtrack

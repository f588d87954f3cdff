#include "common/reactor/udp_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardtrack {
namespace {

constexpr std::size_t kMaxDatagram = 65536;

Error SocketError(const char* step, const std::string& where, int fd) {
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  return Error{std::string(step) + " " + where + ": " + std::strerror(saved)};
}

// The destination in the socket's family (an IPv4 peer of an IPv6 socket becomes v4-mapped).
bool ToSockaddr(const Endpoint& to, bool socket_v6, sockaddr_storage& storage, socklen_t& length) {
  storage = {};
  const std::string_view raw = to.address.raw();
  if (!socket_v6) {
    if (!to.address.is_v4()) return false;
    auto& v4 = reinterpret_cast<sockaddr_in&>(storage);
    v4.sin_family = AF_INET;
    v4.sin_port = htons(to.port);
    std::memcpy(&v4.sin_addr, raw.data(), 4);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto& v6 = reinterpret_cast<sockaddr_in6&>(storage);
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(to.port);
  if (to.address.is_v4()) {
    v6.sin6_addr.s6_addr[10] = 0xff;
    v6.sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&v6.sin6_addr.s6_addr[12], raw.data(), 4);
  } else {
    std::memcpy(&v6.sin6_addr, raw.data(), 16);
  }
  length = sizeof(sockaddr_in6);
  return true;
}

}  // namespace

UdpSocket::UdpSocket(EventLoop& loop, Options options, OnDatagram on_datagram)
    : loop_(loop), options_(std::move(options)), on_datagram_(std::move(on_datagram)) {}

UdpSocket::~UdpSocket() {
  if (fd_ < 0) return;
  loop_.UnwatchClosingFd(fd_);
  ::close(fd_);
}

void UdpSocket::StopReading() {
  if (fd_ >= 0) loop_.UnwatchFd(fd_);
}

Status UdpSocket::Open() {
  auto parsed = ParseSocketAddress(options_.bind_address, options_.port);
  if (!parsed.ok()) return Error{parsed.error()};
  const std::string& where = parsed->where;
  const int fd = ::socket(parsed->storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("udp socket for", where, -1);
  const int one = 1;
  if (options_.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return SocketError("SO_REUSEPORT on", where, fd);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&parsed->storage), parsed->length) != 0) {
    return SocketError("udp bind", where, fd);
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return SocketError("getsockname of", where, fd);
  }
  auto endpoint = EndpointFrom(bound);
  fd_ = fd;
  is_v6_ = parsed->is_v6;
  port_ = endpoint ? endpoint->port : options_.port;
  buffer_.resize(kMaxDatagram);
  loop_.WatchFd(fd_, EventLoop::kReadable, [this](short) { OnReadable(); });
  return OkStatus();
}

void UdpSocket::OnReadable() {
  for (std::uint32_t i = 0; i < options_.max_datagrams_per_turn && fd_ >= 0; ++i) {
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const ssize_t n = ::recvfrom(fd_, buffer_.data(), buffer_.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) return;  // EAGAIN (drained) or a transient error reported for an earlier send
    auto endpoint = EndpointFrom(from);
    if (!endpoint) continue;
    on_datagram_(std::string_view(buffer_.data(), static_cast<std::size_t>(n)), *endpoint);
  }
}

bool UdpSocket::Send(const Endpoint& to, std::string_view datagram) {
  if (fd_ < 0) return false;
  sockaddr_storage storage;
  socklen_t length = 0;
  if (!ToSockaddr(to, is_v6_, storage, length)) return false;
  const ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&storage), length);
  return n == static_cast<ssize_t>(datagram.size());
}

}  // namespace shardtrack

#include "common/reactor/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/ip_address.h"

namespace shardtrack {
Error SocketError(const char* step, const std::string& where, int fd) {
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  return Error{std::string(step) + " " + where + ": " + std::strerror(saved)};
}

Result<SocketAddress> ParseSocketAddress(const std::string& address, std::uint16_t port) {
  const std::string literal(Unbracketed(address));
  SocketAddress parsed;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&parsed.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&parsed.storage);
  if (::inet_pton(AF_INET, literal.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    parsed.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, literal.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    parsed.length = sizeof(sockaddr_in6);
    parsed.is_v6 = true;
  } else {
    return Error{"listen on " + address + ":" + std::to_string(port) +
                 ": not an IPv4 or IPv6 address literal"};
  }
  parsed.where = BracketedIfIpv6(literal) + ":" + std::to_string(port);
  return parsed;
}

bool ServeBothFamilies(int fd, const SocketAddress& address) {
  const int zero = 0;
  return !address.is_v6 || ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == 0;
}

Result<ListenSocket> OpenListenSocket(const std::string& address, std::uint16_t port, int backlog,
                                      bool reuse_port, int defer_accept_seconds) {
  auto parsed = ParseSocketAddress(address, port);
  if (!parsed.ok()) return Error{parsed.error()};
  sockaddr_storage& storage = parsed->storage;
  const socklen_t length = parsed->length;
  const std::string& where = parsed->where;
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return SocketError("socket for", where, -1);
  const int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return SocketError("SO_REUSEADDR on", where, fd);
  }
  if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return SocketError("SO_REUSEPORT on", where, fd);
  }
  // Accepted sockets inherit TCP_NODELAY (Linux): replies go out at once, one setsockopt in all.
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return SocketError("TCP_NODELAY on", where, fd);
  }
  if (defer_accept_seconds > 0 &&
      ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_accept_seconds,
                   sizeof defer_accept_seconds) != 0) {
    return SocketError("TCP_DEFER_ACCEPT on", where, fd);
  }
  if (!ServeBothFamilies(fd, *parsed)) return SocketError("IPV6_V6ONLY off on", where, fd);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    return SocketError("bind", where, fd);
  }
  if (::listen(fd, backlog) != 0) return SocketError("listen on", where, fd);
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return SocketError("getsockname of", where, fd);
  }
  auto endpoint = EndpointFrom(bound);
  return ListenSocket{fd, endpoint ? endpoint->port : port};
}

std::string ListenHint(std::uint16_t port) {
  std::string hint =
      "is another process, or another setting of this one, listening there? is the address "
      "this machine's?";
  if (port != 0 && port < 1024 && ::geteuid() != 0) {
    hint += " ports below 1024 need root or CAP_NET_BIND_SERVICE";
  }
  return hint;
}

Result<UniqueFd> HoldListen(const std::string& address, std::uint16_t port, bool reuse_port) {
  auto listener = OpenListenSocket(address, port, 1, reuse_port);
  if (!listener) return Error{listener.error() + " (" + ListenHint(port) + ")"};
  return UniqueFd(listener->fd);
}

std::optional<Endpoint> EndpointFrom(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(addr);
    auto ip = IpAddress::FromRaw(
        std::string_view(reinterpret_cast<const char*>(&v4.sin_addr), sizeof v4.sin_addr));
    if (!ip) return std::nullopt;
    return Endpoint{*ip, ntohs(v4.sin_port)};
  }
  if (addr.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(addr);
    auto ip = IpAddress::FromRaw(
        std::string_view(reinterpret_cast<const char*>(&v6.sin6_addr), sizeof v6.sin6_addr));
    if (!ip) return std::nullopt;
    return Endpoint{*ip, ntohs(v6.sin6_port)};
  }
  return std::nullopt;
}

}  // namespace shardtrack

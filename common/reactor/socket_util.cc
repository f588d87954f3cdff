#include "common/reactor/socket_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "common/ip_address.h"

namespace shardtrack {
namespace {

// What the operator can do about a bind that failed with `error`.
std::string_view BindRemedy(int error, std::uint16_t port) {
  switch (error) {
    case EADDRINUSE:
      return " (another process listens there: stop it, or choose another port; ss -ltnup shows "
             "who)";
    case EADDRNOTAVAIL:
      return " (no interface of this machine has that address: ip -br addr lists them)";
    case EACCES:
      return port < 1024 ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "";
    default:
      return "";
  }
}

}  // namespace

Error SocketError(const char* step, const std::string& where) {
  return Error{std::string(step) + " " + where + ": " + std::strerror(errno)};
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

Result<UniqueFd> NewServerSocket(const SocketAddress& address, int type, bool reuse_port) {
  UniqueFd fd(::socket(address.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return SocketError(type == SOCK_DGRAM ? "udp socket for" : "socket for", address.where);
  }
  const int one = 1;
  if (reuse_port && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return SocketError("SO_REUSEPORT on", address.where);
  }
  if (!ServeBothFamilies(fd.get(), address)) {
    return SocketError("IPV6_V6ONLY off on", address.where);
  }
  return fd;
}

Result<std::uint16_t> BindSocket(int fd, const SocketAddress& address) {
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    const int error = errno;
    const auto endpoint = EndpointFrom(address.storage);
    return Error{SocketError("bind", address.where).message +
                 std::string(BindRemedy(error, endpoint ? endpoint->port : 0))};
  }
  sockaddr_storage bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return SocketError("getsockname of", address.where);
  }
  auto endpoint = EndpointFrom(bound);
  if (!endpoint) return Error{"getsockname of " + address.where + ": not an IP address"};
  return endpoint->port;
}

Result<ListenSocket> OpenListenSocket(const std::string& address, std::uint16_t port, int backlog,
                                      bool reuse_port, int defer_accept_seconds) {
  auto parsed = ParseSocketAddress(address, port);
  if (!parsed.ok()) return Error{parsed.error()};
  const std::string& where = parsed->where;
  auto fd = NewServerSocket(*parsed, SOCK_STREAM, reuse_port);
  if (!fd) return Error{fd.error()};
  const int one = 1;
  if (::setsockopt(fd->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return SocketError("SO_REUSEADDR on", where);
  }
  // Accepted sockets inherit TCP_NODELAY (Linux): replies go out at once, one setsockopt in all.
  if (::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return SocketError("TCP_NODELAY on", where);
  }
  if (defer_accept_seconds > 0 &&
      ::setsockopt(fd->get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_accept_seconds,
                   sizeof defer_accept_seconds) != 0) {
    return SocketError("TCP_DEFER_ACCEPT on", where);
  }
  auto bound = BindSocket(fd->get(), *parsed);
  if (!bound) return Error{bound.error()};
  if (::listen(fd->get(), backlog) != 0) return SocketError("listen on", where);
  return ListenSocket{std::move(*fd), *bound};
}

Result<UniqueFd> HoldListen(const std::string& address, std::uint16_t port, bool reuse_port) {
  auto listener = OpenListenSocket(address, port, 1, reuse_port);
  if (!listener) return Error{listener.error()};
  return std::move(listener->fd);
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

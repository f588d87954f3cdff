// Socket helpers for TcpServer: a non-blocking listening socket from an address literal, and a
// peer's address from what accept4 returned. Free functions over plain descriptors; the caller
// owns every descriptor they return.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/ip_address.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

struct ListenSocket {
  UniqueFd fd;
  std::uint16_t port = 0;  // the bound port (the ephemeral one when asked for port 0)
};

// A socket address parsed from an IPv4 or IPv6 literal (brackets allowed) and a port; `where`
// names it for error messages ("1.2.3.4:80", "[::1]:80").
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  bool is_v6 = false;
  std::string where;
};
Result<SocketAddress> ParseSocketAddress(const std::string& address, std::uint16_t port);

// "<step> <where>: <errno's text>".
Error SocketError(const char* step, const std::string& where);

// Before bind: an IPv6 socket takes IPv4 peers too (as v4-mapped addresses) whatever the host's
// net.ipv6.bindv6only says, so `--bind ::` serves both families on one port. True for IPv4.
bool ServeBothFamilies(int fd, const SocketAddress& address);

// What every server socket starts with, TCP or UDP (`type`): a non-blocking, close-on-exec socket
// of `address`'s family that serves both families (ServeBothFamilies), with SO_REUSEPORT when
// `reuse_port`. The caller sets its own options, then BindSocket.
Result<UniqueFd> NewServerSocket(const SocketAddress& address, int type, bool reuse_port);
// Binds `fd` to `address` and returns the port it took (the ephemeral one for port 0). An error
// says what to do about its cause: a port taken, an address not this machine's, a port below 1024.
Result<std::uint16_t> BindSocket(int fd, const SocketAddress& address);

// Binds `address` (an IPv4 or IPv6 literal, brackets allowed; see ServeBothFamilies) and `port`
// with SO_REUSEADDR and TCP_NODELAY (and SO_REUSEPORT when `reuse_port`; TCP_DEFER_ACCEPT when
// `defer_accept_seconds` is positive), non-blocking and close-on-exec, and listens. The error names
// the address and the reason.
Result<ListenSocket> OpenListenSocket(const std::string& address, std::uint16_t port, int backlog,
                                      bool reuse_port, int defer_accept_seconds = 0);

// Listens on `address` and `port` and holds the socket until the caller drops it: whether a
// server could listen there, said before a slow start rather than after it, and (held while the
// next is tried) whether two settings name one port. The error says what to do (BindSocket).
Result<UniqueFd> HoldListen(const std::string& address, std::uint16_t port,
                            bool reuse_port = false);

// The IpAddress (IPv4-mapped IPv6 becomes IPv4) and port of a peer; nullopt for other families.
struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;
};
std::optional<Endpoint> EndpointFrom(const sockaddr_storage& addr);

}  // namespace shardtrack

// CheckZmqEndpoint: refuses, up front and by name, an endpoint ZeroMQ would take and then get
// wrong: it takes a tcp port modulo 65536 (tcp://h:99999 listens on 34463), and a frontend
// given a bad one would only ever answer "unavailable". Host names are not resolved here: in a
// compose network a shard's name resolves only once its container runs.
#pragma once

#include <optional>
#include <string_view>

#include "common/reactor/socket_util.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

enum class EndpointUse { kBind, kConnect };

// tcp://HOST:PORT (PORT 1-65535; when binding, also 0 or * for any), ipc://PATH or inproc://NAME.
// The error names `flag` and says what was expected.
Status CheckZmqEndpoint(std::string_view flag, std::string_view endpoint, EndpointUse use);

// Listens where a tcp:// endpoint would bind and holds the socket until the caller drops it (see
// HoldListen), so that a port in use, a host that is no address or interface of this machine, or
// an ipc:// path in no directory is said before a shard spends minutes loading its files. Only a
// fixed port on an IP literal, * or an interface with an IPv4 address is held (nothing is held
// for other endpoints).
Result<UniqueFd> HoldZmqBindPort(std::string_view flag, std::string_view endpoint);

// The address (0.0.0.0 for *; an interface's first IPv4 address, as ZeroMQ takes it) and port a
// tcp:// endpoint binds, when it names a fixed port; nullopt for any other endpoint.
std::optional<Endpoint> TcpBindEndpoint(std::string_view endpoint);

// Whether a socket bound or connected to `endpoint` needs ZeroMQ's ipv6 option: an IPv6 literal
// (tcp://[::1]:7000) fails without it.
bool NeedsZmqIpv6(std::string_view endpoint);

}  // namespace shardtrack

#include "common/zmq_endpoint.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <charconv>
#include <filesystem>
#include <optional>
#include <string>

#include "common/ip_address.h"
#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

struct TcpAddress {
  std::string_view host;  // "*": every address (a bind)
  std::string_view port;  // "*": any (a bind)
};

// "HOST:PORT" after "tcp://", for `use`: a connect may name its source first
// ("SOURCE;HOST:PORT"); only a bind takes * for the host or the port.
std::optional<TcpAddress> SplitTcpAddress(std::string_view address, EndpointUse use) {
  if (const auto source_end = address.find(';'); source_end != std::string_view::npos) {
    if (use == EndpointUse::kBind) return std::nullopt;
    address.remove_prefix(source_end + 1);
  }
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const TcpAddress split{address.substr(0, colon), address.substr(colon + 1)};
  if (use == EndpointUse::kConnect && (split.host == "*" || split.port == "*")) return std::nullopt;
  return split;
}

// 1-65535, or 0 when binding (an ephemeral port); nullopt for anything else.
std::optional<unsigned> PortOf(std::string_view text, EndpointUse use) {
  unsigned port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc{} || end != text.data() + text.size() || port > 65535) return std::nullopt;
  if (port == 0 && use == EndpointUse::kConnect) return std::nullopt;
  return port;
}

bool IsTcpAddress(std::string_view address, EndpointUse use) {
  const auto split = SplitTcpAddress(address, use);
  return split && (split->port == "*" || PortOf(split->port, use));
}

// An IP literal, with an IPv6 one's scope (fe80::1%eth0) left off.
bool IsAddressLiteral(std::string_view host) {
  const std::string_view address = Unbracketed(host);
  return IpAddress::Parse(address.substr(0, address.find('%'))).has_value();
}

// An IPv6 literal without brackets (tcp://::1:7000): ZeroMQ turns IPv6 on only for brackets, so
// a connect would never reach the shard and a bind would fail with "No such device". (An
// interface's alias label, eth0:1, is no literal.)
bool HasBareIpv6Host(std::string_view address, EndpointUse use) {
  const auto split = SplitTcpAddress(address, use);
  return split && !split->host.starts_with('[') &&
         split->host.find(':') != std::string_view::npos && IsAddressLiteral(split->host);
}

// ZeroMQ binds an IP literal (an IPv6 one scoped too), * or a network interface's name, and
// resolves no host names.
bool IsBindableHost(std::string_view host) {
  if (host == "*" || IsAddressLiteral(host)) return true;
  return ::if_nametoindex(std::string(host).c_str()) != 0;
}

// The address ZeroMQ binds for an interface's name: the first IPv4 address the interface has
// (it looks for IPv6 ones only with its ipv6 option, which brackets turn on, and they take no
// name). nullopt when there is none, which ZeroMQ's bind then reports.
std::optional<IpAddress> InterfaceIpv4Address(std::string_view name) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<IpAddress> found;
  for (const ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET ||
        name != entry->ifa_name) {
      continue;
    }
    const auto& ipv4 = reinterpret_cast<const sockaddr_in&>(*entry->ifa_addr);
    found = IpAddress::FromRaw(std::string_view(
        reinterpret_cast<const char*>(&ipv4.sin_addr.s_addr), sizeof ipv4.sin_addr.s_addr));
  }
  ::freeifaddrs(list);
  return found;
}

// A tcp bind address naming an interface: ZeroMQ binds the interface's IPv4 address, and fails
// the bind (after a shard's load) when it has none.
Status CheckInterfaceHasIpv4(std::string_view flag, std::string_view address) {
  const auto split = SplitTcpAddress(address, EndpointUse::kBind);
  if (!split || split->host == "*" || IsAddressLiteral(split->host) ||
      InterfaceIpv4Address(split->host)) {
    return OkStatus();
  }
  return Error{std::string(flag) + ": interface " + std::string(split->host) +
               " has no IPv4 address, which ZeroMQ would bind: give it one, or give an IP address"};
}

// The directory an ipc:// socket file goes in (bind makes the file, not the directory).
Status CheckIpcDirectory(std::string_view flag, std::string_view path) {
  const std::string directory = std::filesystem::path(path).parent_path().string();
  std::error_code error;
  if (directory.empty() || std::filesystem::is_directory(directory, error)) return OkStatus();
  return Error{std::string(flag) + ": the directory of " + std::string(path) +
               " does not exist: create it or give another ipc:// path"};
}

// A tcp bind address's host must be an address or an interface: ZeroMQ binds no host names.
Status CheckBindableHost(std::string_view flag, std::string_view address) {
  const auto split = SplitTcpAddress(address, EndpointUse::kBind);
  if (!split || IsBindableHost(split->host)) return OkStatus();
  return Error{std::string(flag) + ": " + std::string(split->host) +
               " is neither an IP address nor a network interface of this machine (ZeroMQ "
               "binds no host names: for localhost give 127.0.0.1, for every address *)"};
}

}  // namespace

Status CheckZmqEndpoint(std::string_view flag, std::string_view endpoint, EndpointUse use) {
  const auto scheme_end = endpoint.find("://");
  const std::string_view scheme = endpoint.substr(0, scheme_end);
  const std::string_view rest =
      scheme_end == std::string_view::npos ? "" : endpoint.substr(scheme_end + 3);
  if (scheme == "tcp" && rest.find(',') != std::string_view::npos) {  // no host or port has one
    const std::string named = std::string(flag) + " '" + std::string(endpoint) + "' holds a comma";
    if (use == EndpointUse::kBind) return Error{named + ": it binds one endpoint"};
    return Error{named + ": give one endpoint to each " + std::string(flag) +
                 " (commas separate endpoints only in a SHARDTRACK_* variable)"};
  }
  const bool valid = scheme_end != std::string_view::npos &&
                     (scheme == "tcp" ? IsTcpAddress(rest, use)
                                      : (scheme == "ipc" || scheme == "inproc") && !rest.empty());
  if (valid && scheme == "tcp" && HasBareIpv6Host(rest, use)) {
    return Error{std::string(flag) +
                 ": an IPv6 address goes in brackets, like tcp://[::1]:7000, not '" +
                 std::string(endpoint) + "'"};
  }
  if (valid && scheme == "tcp" && use == EndpointUse::kBind) return CheckBindableHost(flag, rest);
  if (valid) return OkStatus();
  return Error{std::string(flag) +
               " must be a ZeroMQ endpoint: tcp://HOST:PORT with a port from 1 to 65535 (like "
               "tcp://127.0.0.1:7000), ipc://PATH or inproc://NAME, not '" +
               std::string(endpoint) + "'"};
}

Result<UniqueFd> HoldZmqBindPort(std::string_view flag, std::string_view endpoint) {
  if (endpoint.starts_with("ipc://")) {
    if (Status directory = CheckIpcDirectory(flag, endpoint.substr(6)); !directory) {
      return Error{directory.error()};
    }
  }
  if (!endpoint.starts_with("tcp://")) return UniqueFd();
  if (Status bindable = CheckBindableHost(flag, endpoint.substr(6)); !bindable) {
    return Error{bindable.error()};
  }
  if (Status ipv4 = CheckInterfaceHasIpv4(flag, endpoint.substr(6)); !ipv4) {
    return Error{ipv4.error()};
  }
  const auto bound = TcpBindEndpoint(endpoint);
  if (!bound) return UniqueFd();  // ZeroMQ's to check
  auto held = HoldListen(bound->address.ToString(), bound->port);
  if (!held) return Error{std::string(flag) + ": " + held.error()};
  return held;
}

std::optional<Endpoint> TcpBindEndpoint(std::string_view endpoint) {
  if (!endpoint.starts_with("tcp://")) return std::nullopt;
  const auto split = SplitTcpAddress(endpoint.substr(6), EndpointUse::kBind);
  if (!split) return std::nullopt;
  const std::string_view host = split->host == "*" ? "0.0.0.0" : Unbracketed(split->host);
  auto address = IpAddress::Parse(host);
  if (!address && !split->host.starts_with('[')) address = InterfaceIpv4Address(host);
  const auto port = PortOf(split->port, EndpointUse::kBind);
  if (!address || !port || *port == 0) return std::nullopt;
  return Endpoint{*address, static_cast<std::uint16_t>(*port)};
}

bool NeedsZmqIpv6(std::string_view endpoint) {
  return endpoint.starts_with("tcp://") && endpoint.find('[') != std::string_view::npos;
}

}  // namespace shardtrack

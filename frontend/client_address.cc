#include "frontend/client_address.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "frontend/proxy_protocol.h"

namespace shardtrack {
namespace {

ConnectionOrigin Refused(std::string reason) {
  ConnectionOrigin out;
  out.state = ConnectionOrigin::State::kRefused;
  out.reason = std::move(reason);
  return out;
}

ConnectionOrigin Resolved(const IpAddress& client, std::size_t consumed) {
  ConnectionOrigin out;
  out.state = ConnectionOrigin::State::kResolved;
  out.client = client;
  out.consumed = consumed;
  return out;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<IpAddress> ParseAddressWithPort(std::string_view entry) {
  if (entry.starts_with('[')) {  // [v6] or [v6]:port
    auto close = entry.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    auto rest = entry.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    const std::string_view inside = entry.substr(1, close - 1);
    // Brackets are for IPv6 text only; an IPv4-mapped one ([::ffff:1.2.3.4]) becomes IPv4.
    if (inside.find(':') == std::string_view::npos) return std::nullopt;
    return IpAddress::Parse(inside);
  }
  if (auto address = IpAddress::Parse(entry)) return address;  // v4, or bare v6
  auto colon = entry.find(':');
  if (colon == std::string_view::npos || entry.find(':', colon + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto address = IpAddress::Parse(entry.substr(0, colon));  // v4:port
  if (!address || !address->is_v4()) return std::nullopt;
  return address;
}

// An entry naming no address a client can have (0.0.0.0, multicast) is garbage like any other.
std::optional<IpAddress> ParseForwardedEntry(std::string_view entry) {
  auto address = ParseAddressWithPort(entry);
  if (address && !address->CanBePeer()) return std::nullopt;
  return address;
}

}  // namespace

Result<ClientAddressPolicy> ClientAddressPolicy::Make(
    const std::vector<std::string>& trusted_proxies, bool trust_x_forwarded_for,
    bool require_proxy_header) {
  ClientAddressPolicy policy;
  for (const auto& text : trusted_proxies) {
    auto cidr = Cidr::Read(text);
    if (!cidr) {
      return Error{"--trusted-proxy: not an address or CIDR range: '" + text + "' (" +
                   cidr.error() + ")"};
    }
    policy.trusted_proxies.push_back(*cidr);
  }
  // Either trusts proxies only: with none named it would refuse every connection, or do nothing.
  if (policy.trusted_proxies.empty() && (trust_x_forwarded_for || require_proxy_header)) {
    return Error{
        std::string(require_proxy_header ? "--require-proxy-header" : "--trust-x-forwarded-for") +
        " needs --trusted-proxy: name the load balancer's address (or CIDR range)"};
  }
  policy.trust_x_forwarded_for = trust_x_forwarded_for;
  policy.require_proxy_header = require_proxy_header;
  return policy;
}

bool ClientAddressPolicy::IsTrusted(const IpAddress& address) const {
  return std::any_of(trusted_proxies.begin(), trusted_proxies.end(),
                     [&](const Cidr& cidr) { return cidr.Contains(address); });
}

ConnectionOrigin ResolveConnectionOrigin(const ClientAddressPolicy& policy, const IpAddress& peer,
                                         std::string_view input) {
  bool trusted = policy.IsTrusted(peer);
  if (!trusted && policy.require_proxy_header) {
    return Refused("connection from " + peer.ToString() + ", not a trusted proxy");
  }
  auto parse = ParseProxyHeader(input);
  switch (parse.state) {
    case ProxyParse::State::kIncomplete:
      return ConnectionOrigin{};
    case ProxyParse::State::kNotProxy:
      if (policy.require_proxy_header) {
        return Refused("no PROXY header from trusted proxy " + peer.ToString());
      }
      return Resolved(peer, 0);
    case ProxyParse::State::kError:
      if (!trusted) break;
      return Refused("bad PROXY header from " + peer.ToString() + ": " + parse.error);
    case ProxyParse::State::kComplete: {
      if (!trusted) break;
      const auto& source = parse.header.source;  // none, or no client's: the proxy's own
      const bool named = source && source->address.CanBePeer();
      return Resolved(named ? source->address : peer, parse.header.consumed);
    }
  }
  return Refused("PROXY header from untrusted source " + peer.ToString() +
                 " (if that is your balancer, add it to --trusted-proxy)");
}

IpAddress ClientFromForwardedFor(const ClientAddressPolicy& policy, const IpAddress& origin,
                                 std::string_view x_forwarded_for) {
  if (!policy.trust_x_forwarded_for || !policy.IsTrusted(origin)) return origin;
  IpAddress client = origin;  // the nearest hop believed so far
  std::string_view rest = x_forwarded_for;
  while (!rest.empty()) {  // right to left: the nearest hop's entry first
    const auto comma = rest.rfind(',');
    const auto entry = TrimSpaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = rest.substr(0, comma == std::string_view::npos ? 0 : comma);
    if (entry.empty()) continue;
    const auto address = ParseForwardedEntry(entry);
    if (!address) return client;  // a trusted hop reported garbage: nothing left of it counts
    client = *address;
    if (!policy.IsTrusted(client)) return client;
  }
  return client;
}

}  // namespace shardtrack

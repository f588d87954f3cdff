// ClientAddressPolicy: whose word about a client's real address a frontend believes. Pure.
//
// Behind a load balancer the socket's peer is the balancer. Two sources may name the client:
// - a PROXY protocol header (v1 or v2) at the start of the connection: believed only from a
//   trusted proxy; from any other source the connection is refused (a spoofing attempt or a
//   misconfiguration, and either must be loud);
// - an X-Forwarded-For request header: consulted only when trust_x_forwarded_for is on and the
//   hop that sent it (the connection's origin) is a trusted proxy. From anyone else it is
//   ignored, not refused: clients behind their own proxies send it innocently, and ignoring it
//   means it is never believed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace shardtrack {

struct ClientAddressPolicy {
  std::vector<Cidr> trusted_proxies;  // --trusted-proxy; empty: nobody is a proxy
  bool trust_x_forwarded_for = false;
  // Every connection must come from a trusted proxy and start with a PROXY header.
  bool require_proxy_header = false;

  // From --trusted-proxy values; an unparsable range is an error that names it.
  static Result<ClientAddressPolicy> Make(const std::vector<std::string>& trusted_proxies,
                                          bool trust_x_forwarded_for, bool require_proxy_header);
  bool IsTrusted(const IpAddress& address) const;
};

// Who a connection's client is, decided from the socket peer and the connection's first bytes.
struct ConnectionOrigin {
  enum class State { kIncomplete, kResolved, kRefused };
  State state = State::kIncomplete;
  IpAddress client;          // kResolved: the PROXY header's source, or else the socket peer
  std::size_t consumed = 0;  // kResolved: PROXY header bytes to drop before the HTTP request
  std::string reason;        // kRefused: why, for the log
};

// Call with the connection's input so far (empty at accept time, when a refusal may already be
// certain) until the state is no longer kIncomplete; waits for at most one PROXY header's bytes.
ConnectionOrigin ResolveConnectionOrigin(const ClientAddressPolicy& policy, const IpAddress& peer,
                                         std::string_view input);

// The client of one request that arrived on a connection whose origin is `origin`, given its
// X-Forwarded-For value (several such headers joined with ","; empty when absent). When believed,
// the answer is the right-most entry that is not a trusted proxy; if every entry is trusted, the
// left-most; an entry that is not an address stops the walk at the last trusted hop seen.
// Entries are "1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:80", with
// spaces around them allowed, empty ones skipped and ports ignored; anything else ("unknown", an
// address no client has) is garbage. Allocates nothing: it runs per request behind a balancer.
IpAddress ClientFromForwardedFor(const ClientAddressPolicy& policy, const IpAddress& origin,
                                 std::string_view x_forwarded_for);

}  // namespace shardtrack

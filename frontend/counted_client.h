// CountedClient: who counts as one client for the per-client limits. An IPv4 address is one
// client; an IPv6 client is its /64 prefix, since a host or a home is commonly given a whole /64
// and may use any address in it, so counting whole addresses would not hold it back. Pure.
#pragma once

#include "common/ip_address.h"

namespace shardtrack {

IpAddress CountedClient(const IpAddress& client);

}  // namespace shardtrack

// ClientConnectionCounter: how many connections each client holds open, so that one address
// cannot take every connection slot (--max-connections-per-client). A client is its
// CountedClient (an IPv6 client: its /64). Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "common/ip_address.h"
#include "common/node_pool.h"
#include "common/siphash.h"

namespace shardtrack {

class ClientConnectionCounter {
 public:
  explicit ClientConnectionCounter(std::uint32_t limit);

  // Counts one more connection of `client`; false, counting nothing, when the client already
  // holds `limit` of them. With limit 0 nothing is counted and every connection is admitted.
  bool TryAdd(const IpAddress& client);
  // Forgets one connection for which TryAdd returned true.
  void Remove(const IpAddress& client);

  std::uint32_t count(const IpAddress& client) const;
  std::size_t clients() const { return counts_.size(); }  // clients with a connection open
  std::uint32_t limit() const { return limit_; }

 private:
  // Keyed with a per-process secret: clients choose their addresses (an IPv6 attacker, many
  // /64s), and must not be able to pile them into one bucket.
  struct KeyHash {
    SipHashKey secret;
    std::size_t operator()(const IpAddress& key) const { return SipHash24(secret, key.raw()); }
  };
  using CountMap = std::unordered_map<IpAddress, std::uint32_t, KeyHash>;
  std::uint32_t limit_;
  CountMap counts_;
  NodePool<CountMap> spare_;  // a connection per request from new clients allocates nothing
};

}  // namespace shardtrack

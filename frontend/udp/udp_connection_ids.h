// UdpConnectionIds: the stateless connection ids of the UDP tracker protocol (BEP 15).
//
// An id is a keyed hash (SipHash-2-4) of the client's address and the current two-minute slot of
// wall-clock time. Not of its port: an id proves that its holder receives at that address, which
// is what BEP 15 asks, and clients share one id among their sockets (libtorrent caches one per
// tracker for all its sessions in a process, and keeps it across a change of listen port). An id is
// accepted in its own slot and the next, so it stays valid for at least two minutes (BEP 15 asks
// trackers to accept an id that long) and at most four, and nothing is remembered per client. It is
// also accepted one slot early: by a frontend whose clock is up to two minutes behind the issuer's,
// or whose clock was stepped back. The key is random per process, or derived from a secret that
// several frontends share: then an id issued by one is accepted by all of them (behind one UDP
// address, where a client's datagrams may reach another frontend) and after a restart. Slots follow
// the wall clock so that hosts agree on them. Pure: time comes from the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/ip_address.h"
#include "common/result.h"
#include "common/siphash.h"

namespace shardtrack {

class UdpConnectionIds {
 public:
  static constexpr Duration kSlot = std::chrono::minutes(2);
  static constexpr std::size_t kMinSecretBytes = 16;

  explicit UdpConnectionIds(SipHashKey key) : key_(key) {}
  // A key from std::random_device: ids do not survive a restart, clients reconnect.
  static UdpConnectionIds WithRandomSecret();
  // The same key in every process given the same secret (at least kMinSecretBytes).
  static Result<UdpConnectionIds> FromSharedSecret(std::string_view secret);

  std::uint64_t Issue(const IpAddress& client, UnixSeconds now) const;
  bool Valid(std::uint64_t id, const IpAddress& client, UnixSeconds now) const;

 private:
  std::uint64_t IdFor(const IpAddress& client, std::int64_t slot) const;

  SipHashKey key_;
};

}  // namespace shardtrack

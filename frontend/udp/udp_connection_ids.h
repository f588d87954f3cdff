// UdpConnectionIds: the stateless connection ids of the UDP tracker protocol (BEP 15).
//
// An id is a keyed hash (SipHash-2-4 under a per-process secret) of the client's address, port
// and the current two-minute time slot. An id is accepted in its own slot and the next, so it
// stays valid for at least two minutes (BEP 15 asks trackers to accept an id that long) and at
// most four, and nothing is remembered per client. Pure: time comes from the caller.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "common/clock.h"
#include "common/reactor/socket_util.h"

namespace shardtrack {

class UdpConnectionIds {
 public:
  static constexpr Duration kSlot = std::chrono::minutes(2);

  explicit UdpConnectionIds(std::array<std::uint64_t, 2> secret) : secret_(secret) {}
  // A secret from std::random_device: ids do not survive a restart, clients reconnect.
  static UdpConnectionIds WithRandomSecret();

  std::uint64_t Issue(const Endpoint& client, MonoTime now) const;
  bool Valid(std::uint64_t id, const Endpoint& client, MonoTime now) const;

 private:
  std::uint64_t IdFor(const Endpoint& client, std::int64_t slot) const;

  std::array<std::uint64_t, 2> secret_;
};

}  // namespace shardtrack

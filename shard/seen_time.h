// A peer's last-seen time in the 22 bits its swarm entry keeps: the low bits of the Unix time,
// read back against a reference time near it (the swarm's latest announce). Reading is exact
// while the time is within kSeenTimeReach (24 days) of the reference, before or after it. A swarm
// keeps its peers that close: expiry drops a peer within --peer-timeout plus a sweep's lap (each
// at most a week, kLongestPeerTimeout), and a swarm whose reference jumps (a clock set back, a
// process stopped for days) clamps its peers' times into reach. 22 bits instead of 32 leave room
// for an entry's two flags in the same 3 bytes: 2 bytes less a peer. Pure.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/clock.h"
#include "shard/clamp32.h"

namespace shardtrack {

inline constexpr int kSeenTimeBits = 22;
inline constexpr std::uint32_t kSeenTimeMask = (std::uint32_t{1} << kSeenTimeBits) - 1;
inline constexpr UnixSeconds kSeenTimeReach = (UnixSeconds{1} << (kSeenTimeBits - 1)) - 1;

// How far a swarm's reference may move at once without clamping its peers' times (further, it
// clamps them: a quiet swarm at most once a day), and the longest --peer-timeout and
// --expire-lap. A peer is expired at most their sum after its announce, and until then the
// reference moves with time: together they stay well within reach.
inline constexpr UnixSeconds kLongestUnclampedMove = 24 * 3600;
inline constexpr UnixSeconds kLongestPeerTimeout = 7 * 24 * 3600;
static_assert(2 * kLongestPeerTimeout + kLongestUnclampedMove < kSeenTimeReach);

inline std::uint32_t PackSeenTime(UnixSeconds time) { return ClampTo32(time) & kSeenTimeMask; }

inline UnixSeconds UnpackSeenTime(std::uint32_t packed, UnixSeconds reference) {
  const std::uint32_t near = ClampTo32(reference);
  const UnixSeconds behind = (near - packed) & kSeenTimeMask;
  return UnixSeconds{near} - (behind > kSeenTimeReach ? behind - (kSeenTimeMask + 1) : behind);
}

// `time` moved into reach of `reference`.
inline UnixSeconds ClampIntoReach(UnixSeconds time, UnixSeconds reference) {
  return std::clamp(time, reference - kSeenTimeReach, reference + kSeenTimeReach);
}

}  // namespace shardtrack

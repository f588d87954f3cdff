// A peer's last-seen time in the 22 bits its swarm entry keeps: the low bits of the Unix time,
// read back against a reference time near it (the swarm's latest announce), exactly while within
// kSeenTimeReach (24 days) of it, before or after. A swarm keeps its peers that close on its
// own, whatever the clock or the expiry sweep do: whenever its latest announce enters another
// window of 2^18 seconds (3 days) of Unix time, it drops the peers last seen more than
// kSeenTimeKeep (21 days) before or after it: expired under any --peer-timeout, or seen in a
// future no right clock gives (so a clock stepped 21 days or more empties the swarms announced
// to meanwhile; their peers come back with their next announces). Between two such passes the
// reference stays within one window, so no time kept gets further from it than kSeenTimeKeep
// and a window: within reach. 22 bits instead of 32 leave room for an entry's two flags in the
// same 3 bytes: 2 bytes less a peer. Pure.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "shard/clamp32.h"

namespace shardtrack {

inline constexpr int kSeenTimeBits = 22;
inline constexpr std::uint32_t kSeenTimeMask = (std::uint32_t{1} << kSeenTimeBits) - 1;
inline constexpr UnixSeconds kSeenTimeReach = (UnixSeconds{1} << (kSeenTimeBits - 1)) - 1;
inline constexpr int kSeenTimeWindowBits = kSeenTimeBits - 4;
inline constexpr UnixSeconds kSeenTimeWindow = UnixSeconds{1} << kSeenTimeWindowBits;
inline constexpr UnixSeconds kSeenTimeKeep = kSeenTimeReach + 1 - kSeenTimeWindow;
static_assert(kSeenTimeKeep + kSeenTimeWindow - 1 == kSeenTimeReach);
// The longest --peer-timeout: no peer it keeps listed is dropped as out of range.
inline constexpr UnixSeconds kLongestPeerTimeout = 7 * 24 * 3600;
static_assert(kLongestPeerTimeout < kSeenTimeKeep);

inline std::uint32_t PackSeenTime(UnixSeconds time) { return ClampTo32(time) & kSeenTimeMask; }

inline UnixSeconds UnpackSeenTime(std::uint32_t packed, UnixSeconds reference) {
  const std::uint32_t near = ClampTo32(reference);
  const UnixSeconds behind = (near - packed) & kSeenTimeMask;
  return UnixSeconds{near} - (behind > kSeenTimeReach ? behind - (kSeenTimeMask + 1) : behind);
}

// Which window of kSeenTimeWindow seconds `time` falls in.
inline std::uint32_t SeenTimeWindow(UnixSeconds time) {
  return ClampTo32(time) >> kSeenTimeWindowBits;
}

}  // namespace shardtrack

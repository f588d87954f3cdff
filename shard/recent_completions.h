// RecentCompletions: the peer ids whose completion of a torrent was counted lately. libtorrent 2
// announces once over each address family with one peer id, so a dual-stack client's download
// ends in two `completed`s, one from each of its addresses, which the swarm (a peer being an
// address and port) would count twice: the second, within kWindow of the first, is not counted.
// Keys are a SipHash of infohash and peer id; at most kCapacity are held (the oldest go first).
// Not saved: a repeat that straddles a restart is counted. Pure; loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/siphash.h"

namespace shardtrack {

class RecentCompletions {
 public:
  // A client's `completed`s over its two families come within seconds of each other.
  static constexpr std::int64_t kWindow = 600;  // seconds
  // About 64 bytes each: 64 MB at most, and 100 completions a second fill a tenth of it.
  static constexpr std::size_t kCapacity = 1'000'000;

  explicit RecentCompletions(SipHashKey key, std::size_t capacity = kCapacity)
      : key_(key), capacity_(capacity) {}

  // Whether a completion of `info_hash` by `peer_id` was noted within kWindow before `now`.
  bool Seen(const InfoHash& info_hash, const PeerId& peer_id, UnixSeconds now);
  void Note(const InfoHash& info_hash, const PeerId& peer_id, UnixSeconds now);
  std::size_t size() const { return noted_.size(); }

 private:
  std::uint64_t KeyOf(const InfoHash& info_hash, const PeerId& peer_id) const;
  // Forgets what is older than the window, and the oldest past the capacity.
  void Forget(UnixSeconds now);

  SipHashKey key_;
  std::size_t capacity_;
  std::deque<std::pair<UnixSeconds, std::uint64_t>> order_;  // oldest first
  std::unordered_map<std::uint64_t, UnixSeconds> noted_;     // key: when last noted
};

}  // namespace shardtrack

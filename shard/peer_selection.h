// Random peer selection for an announce reply, straight into the reply's compact wire form.
// A PeerSpan is a read-only view of packed peer entries (see peer_family.h) that may leave out one
// entry (the requester). Pure; allocates nothing beyond the reply's bytes, unless entries are
// left out by their flags.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/fast_rng.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

struct PeerSpan {
  static constexpr std::uint32_t kNoSkip = UINT32_MAX;

  const std::uint8_t* entries = nullptr;
  std::uint32_t count = 0;        // entries in the block, including `skip`
  std::uint32_t skip = kNoSkip;   // index of the entry to leave out
  std::size_t endpoint_size = 6;  // 6: IPv4 (goes to peers4), 18: IPv6 (goes to peers6)
  std::size_t entry_size = 0;
  std::size_t peer_id_offset = 0;  // where the 20-byte peer id sits in an entry; 0: no ids
  // Entries whose byte at `flags_offset` has any of `left_out_flags` are not given (BEP 21's
  // partial seeds, to a peer that wants nothing from them); `left_out` of the candidates have.
  std::size_t flags_offset = 0;
  std::uint8_t left_out_flags = 0;
  std::uint32_t left_out = 0;

  std::uint32_t candidates() const { return count - (skip < count ? 1 : 0); }
  bool LeftOut(const std::uint8_t* entry) const {
    return (entry[flags_offset] & left_out_flags) != 0;
  }
};

// Appends min(numwant, candidates not left out) distinct peers drawn from `spans` to
// `out.peers4` / `peers6` (and their ids to `peer_ids4` / `peer_ids6` when `want_peer_ids` and
// every span keeps ids, so ids always line up with their peers; else no ids at all). The
// candidates are cut into numwant equal runs, starting at a random place and wrapping round, and
// one peer is drawn at random from each run, so every candidate has the same chance and no peer
// is favoured by its place in the swarm. A run whose draw is left out gives its place to a
// candidate drawn at random among those neither left out nor given, so each keeps about the same
// chance. Returns how many it appended.
std::uint32_t SelectPeers(std::span<const PeerSpan> spans, std::uint32_t numwant,
                          bool want_peer_ids, FastRng& rng, proto::AnnounceReply& out);

}  // namespace shardtrack

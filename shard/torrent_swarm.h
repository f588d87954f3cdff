// TorrentSwarm: the peers and completed count of one torrent. Peers are identified by endpoint
// (address and port) and kept in four packed lists: IPv4 and IPv6, seeders and leechers apart,
// so a seeder draws from leechers without filtering. Owned by SwarmStore. Pure.
#pragma once

#include <cstdint>
#include <optional>

#include "shard/fast_rng.h"
#include "shard/peer_announce.h"
#include "shard/peer_list.h"
#include "shard/torrent_record.h"

namespace shardtrack {

class TorrentSwarm {
 public:
  // Adds, updates or (event stopped) removes the announcing peer. Returns true when this
  // announce counted a completion: once per peer, never from a peer already listed as a seeder.
  bool Apply(const PeerAnnounce& announce, UnixSeconds now);

  // Appends up to announce.numwant peers for the (already applied) announcing peer: leechers
  // only for a seeder, never the peer itself.
  void SelectFor(const PeerAnnounce& announce, FastRng& rng, proto::AnnounceReply& out) const;

  // Removes peers with last_seen <= cutoff. Returns how many.
  std::uint64_t ExpireSeenAtOrBefore(UnixSeconds cutoff);

  // Peers in a fixed order: IPv4 seeders, IPv4 leechers, IPv6 seeders, IPv6 leechers, each by
  // endpoint. `out.info_hash` is left to the caller.
  void Export(TorrentRecord& out) const;
  // Replaces the contents with `record` (a peer listed twice keeps its last entry).
  void Restore(const TorrentRecord& record);

  std::uint64_t seeders() const { return seeders4_.size() + seeders6_.size(); }
  std::uint64_t leechers() const { return leechers4_.size() + leechers6_.size(); }
  std::uint64_t peers() const { return seeders() + leechers(); }
  std::uint64_t completed() const { return completed_; }
  void set_completed(std::uint64_t completed) { completed_ = completed; }
  // No peers and nothing counted: the store may forget it.
  bool forgettable() const { return peers() == 0 && completed_ == 0; }

  std::size_t AllocatedBytes() const;

 private:
  PeerList4 seeders4_;
  PeerList4 leechers4_;
  PeerList6 seeders6_;
  PeerList6 leechers6_;
  std::uint64_t completed_ = 0;
};

}  // namespace shardtrack

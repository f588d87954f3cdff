// TorrentSwarm: the peers and completed count of one torrent. Peers are identified by endpoint
// (address and port) and kept in four packed lists: IPv4 and IPv6, seeders and leechers apart,
// so a seeder draws from leechers without filtering. The IPv6 lists sit behind one pointer that
// is null while the torrent has no IPv6 peer, so the common IPv4-only swarm is 32 bytes. Whether
// new lists keep peer ids is the caller's `keep_peer_ids`. Owned by SwarmStore. Pure.
#pragma once

#include <cstdint>
#include <memory>

#include "shard/fast_rng.h"
#include "shard/peer_announce.h"
#include "shard/peer_list.h"
#include "shard/torrent_record.h"

namespace shardtrack {

class TorrentSwarm {
 public:
  // Adds, updates or (event stopped) removes the announcing peer. Returns true when this
  // announce counted a completion: once per peer, never from a peer already listed as a seeder.
  bool Apply(const PeerAnnounce& announce, UnixSeconds now, bool keep_peer_ids);

  // Appends up to announce.numwant peers for the (already applied) announcing peer: leechers
  // only for a seeder, never the peer itself.
  void SelectFor(const PeerAnnounce& announce, FastRng& rng, proto::AnnounceReply& out) const;

  // Removes peers with last_seen <= cutoff. Returns how many.
  std::uint64_t ExpireSeenAtOrBefore(UnixSeconds cutoff);

  // Peers in a fixed order: IPv4 seeders, IPv4 leechers, IPv6 seeders, IPv6 leechers, each by
  // endpoint. `out.info_hash` is left to the caller.
  void Export(TorrentRecord& out) const;
  // Replaces the contents with `record` (a peer listed twice keeps its last entry).
  // Restored ids are kept only with `keep_peer_ids`; without them records export all-zero ids.
  void Restore(const TorrentRecord& record, bool keep_peer_ids);

  std::uint64_t seeders() const { return seeders4_.size() + (v6_ ? v6_->seeders.size() : 0); }
  std::uint64_t leechers() const { return leechers4_.size() + (v6_ ? v6_->leechers.size() : 0); }
  std::uint64_t peers() const { return seeders() + leechers(); }
  std::uint64_t completed() const { return completed_; }
  void set_completed(std::uint64_t completed) { completed_ = completed; }
  // No peers and nothing counted: the store may forget it.
  bool forgettable() const { return peers() == 0 && completed_ == 0; }

  // Heap bytes of the peer lists (and of the IPv6 pair, when there is one).
  std::size_t AllocatedBytes() const;

 private:
  struct Ipv6Lists {
    PeerList6 seeders;
    PeerList6 leechers;
  };
  // Frees the IPv6 pair once both of its lists are empty.
  void DropEmptyIpv6();

  PeerList4 seeders4_;
  PeerList4 leechers4_;
  std::unique_ptr<Ipv6Lists> v6_;  // null: no IPv6 peers
  std::uint64_t completed_ = 0;
};

}  // namespace shardtrack

// TorrentSwarm: the peers and completed count of one torrent. Peers are identified by endpoint
// (address and port) and kept in two packed families, IPv4 and IPv6, each holding its seeders
// and leechers apart, so a seeder draws from leechers without filtering (but for partial seeds,
// BEP 21, which leechers' flags mark). A family without peers holds no block, so a swarm is 24
// bytes plus one block per family in use. Which peer ids it keeps is the caller's PeerIdPolicy.
// Owned by SwarmStore. Pure.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/fast_rng.h"
#include "shard/clamp32.h"
#include "shard/peer_announce.h"
#include "shard/peer_family.h"
#include "shard/swarm_counts.h"
#include "shard/torrent_record.h"

namespace shardtrack {

// Which peer ids a swarm keeps. Only a non-compact reply carries them, and clients ask for
// compact ones, so kWhenAsked keeps none (9 instead of 29 bytes an IPv4 peer) until an announce
// that gets peers back asks for their ids: from then until the swarm empties or the shard
// restarts, each peer's id is kept from its next announce on (the peers listed before it have
// all-zero ids, "not known", until they announce again).
enum class PeerIdPolicy : std::uint8_t { kWhenAsked, kAlways, kNever };

class TorrentSwarm {
 public:
  // What Apply did: whether it counted a completion (once per peer, never from a peer already
  // listed as a seeder), whether the peer's completion is counted now (by this announce or an
  // earlier one while it stayed listed), the announcing peer's index among its family's
  // leechers, which SelectFor leaves out without searching for it again (kNoSkip: not a
  // leecher), and how many peers it dropped as seen too far from `now` to read back (the clock
  // moved by weeks).
  struct Applied {
    bool completion_counted = false;
    bool peer_completed = false;
    std::uint32_t leecher_index = PeerSpan::kNoSkip;
    std::uint32_t peers_out_of_range = 0;
  };

  // Adds, updates or (event stopped) removes the announcing peer.
  Applied Apply(const PeerAnnounce& announce, UnixSeconds now, PeerIdPolicy policy);

  // Appends up to announce.numwant peers for the announcing peer, given what Apply returned
  // for it with nothing changed since: the downloaders only for a seeder or a partial seed (BEP
  // 21: neither wants anything of a partial seed, nor a partial seed of a seeder), never the peer
  // itself.
  void SelectFor(const PeerAnnounce& announce, const Applied& applied, FastRng& rng,
                 proto::AnnounceReply& out) const;

  // Whether the peer at `ip`:`port` is listed, as a seeder or a leecher.
  bool Lists(const IpAddress& ip, std::uint16_t port) const;

  // Removes peers with last_seen <= cutoff. Returns how many.
  std::uint64_t ExpireSeenAtOrBefore(UnixSeconds cutoff);

  // Peers in a fixed order: IPv4 seeders, IPv4 leechers, IPv6 seeders, IPv6 leechers, each by
  // endpoint. `out.info_hash` is left to the caller.
  void Export(TorrentRecord& out) const;
  // Replaces the contents with `record` (a peer listed twice keeps its last entry restored), but
  // for peers seen more than kSeenTimeKeep before its latest (shard/seen_time.h). Ids are kept
  // with kAlways only (kWhenAsked: until asked again); a swarm that keeps none exports all-zero
  // ids.
  void Restore(const TorrentRecord& record, PeerIdPolicy policy);

  std::uint64_t seeders() const {
    return v4_.size(PeerKind::kSeeder) + v6_.size(PeerKind::kSeeder);
  }
  std::uint64_t leechers() const {
    return v4_.size(PeerKind::kLeecher) + v6_.size(PeerKind::kLeecher);
  }
  std::uint64_t peers() const { return seeders() + leechers(); }
  std::uint64_t completed() const { return completed_; }
  // Leechers whose last announce said paused (BEP 21).
  std::uint64_t partial_seeds() const {
    return std::uint64_t{v4_.partial_seeds()} + v6_.partial_seeds();
  }
  SwarmCounts counts() const { return {seeders(), leechers(), completed(), partial_seeds()}; }
  void set_completed(std::uint64_t completed) { completed_ = ClampTo32(completed); }
  // No peers and nothing counted: the store may forget it.
  bool forgettable() const { return peers() == 0 && completed_ == 0; }

  // A torrent's last announce: the files keep no such time, so a restored torrent takes its
  // peers' latest, and one restored without peers has none until StartIdleClock gives it `now`.
  void StartIdleClock(UnixSeconds now) {
    if (last_announce_ == 0 && peers() == 0) last_announce_ = ClampTo32(now);
  }
  // No peers, and no announce after `cutoff`.
  bool IdleSince(UnixSeconds cutoff) const {
    return peers() == 0 && last_announce_ != 0 && last_announce_ <= cutoff;
  }

  bool keeps_peer_ids() const { return v4_.keeps_peer_ids() || v6_.keeps_peer_ids(); }

  // Heap bytes of the families' blocks.
  std::size_t AllocatedBytes() const { return v4_.AllocatedBytes() + v6_.AllocatedBytes(); }

 private:
  // Moves last_announce_; when it enters another window of time, first drops the peers too far
  // from it to read back (shard/seen_time.h), and returns how many.
  std::uint32_t MoveLastAnnounce(UnixSeconds now);

  PeerFamily4 v4_;
  PeerFamily6 v6_;
  // 32 bits each (ClampTo32), so the time fits where a 64-bit count was.
  std::uint32_t completed_ = 0;
  // Unix seconds; 0: not known. Also the reference the peers' last_seen times are read against
  // (shard/seen_time.h): within reach of each of them.
  std::uint32_t last_announce_ = 0;
};

}  // namespace shardtrack

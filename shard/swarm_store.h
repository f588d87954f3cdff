// SwarmStore: every torrent of one shard, as a pure state machine. Time comes in as `now`,
// randomness as a FastRng; nothing here reads a clock, socket or file. Keeps running totals
// (torrents, peers, seeders, leechers, completed) so metrics are cheap. Torrents live in a
// TorrentTable, in an order fixed by a secret key, so an expiry sweep resumes from a saved
// infohash while announces come and go (and across the table's rehashes). Which peer ids the
// swarms keep (PeerIdPolicy) is fixed at construction. Loop thread only (not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/fast_rng.h"
#include "common/reply_limits.h"
#include "proto/shardtrack.pb.h"
#include "shard/peer_announce.h"
#include "shard/swarm_counts.h"
#include "shard/top_torrents.h"
#include "shard/torrent_record.h"
#include "shard/torrent_swarm.h"
#include "shard/torrent_table.h"

namespace shardtrack {

struct AnnounceOutcome {
  bool accepted = false;            // false: malformed request, `out` left empty
  bool completion_counted = false;  // this announce counted a completion: journal it
  bool peer_completed = false;      // the peer's completion is counted (now or earlier)
  std::uint64_t completed = 0;      // the torrent's completed count after this announce
  // Peers dropped as last seen too far from `now` to read back (the clock moved by weeks).
  std::uint32_t peers_out_of_range = 0;
};

struct ExpireProgress {
  std::size_t torrents_examined = 0;
  std::size_t torrents_removed = 0;  // the retired included
  std::uint64_t peers_removed = 0;
  bool lap_finished =
      false;  // the slice reached the end of the table (then goes on from its start)
  // Torrents forgotten with their completed counts after the torrent retention: a shard
  // journals them, or a restart would bring them back.
  std::vector<InfoHash> retired;
};

class SwarmStore {
 public:
  static constexpr std::uint32_t kMaxStatsTorrents = kMaxInfoPageTorrents;  // bounds the top list
  // Up to this many torrents, Stats finds its top list by walking them (a few milliseconds);
  // over it, from the last expiry lap (walking 2M torrents held the loop 300 ms per info page).
  static constexpr std::size_t kTopScanLimit = 20000;

  // `table_key`: the torrent table's secret (torrent_table.h). A process passes
  // RandomSipHashKey(); the fixed default makes the order reproducible in tests.
  explicit SwarmStore(PeerIdPolicy peer_ids = PeerIdPolicy::kWhenAsked,
                      const SipHashKey& table_key = {})
      : peer_ids_(peer_ids), torrents_(table_key) {}

  AnnounceOutcome Announce(const PeerAnnounce& announce, UnixSeconds now, FastRng& rng,
                           proto::AnnounceReply& out);

  // Examines at most `max_torrents` torrents, resuming after the last one examined (wrapping
  // around); removes peers with last_seen + peer_timeout <= now, then torrents left with no
  // peers and a completed count of 0, and with a `torrent_retention` (seconds; 0: none) also
  // those left with no peers and no announce for that long, completed count and all. Reaching
  // the end of the table finishes a lap.
  ExpireProgress ExpireSlice(UnixSeconds now, std::int64_t peer_timeout, std::size_t max_torrents,
                             std::int64_t torrent_retention = 0);

  SwarmCounts ScrapeOne(const InfoHash& info_hash) const;  // zeros for an unknown torrent
  // Whether the announcing peer is listed in its torrent, as a seeder or a leecher.
  bool Lists(const PeerAnnounce& announce) const;
  // Appends up to `limit` torrents (0: all) in table order; sets `truncated` if more exist.
  void FullScrape(std::uint32_t limit, proto::ScrapeReply& out) const;
  // Totals, and the `max_torrents` (at most kMaxStatsTorrents) torrents with the most peers,
  // with their counts now. Over kTopScanLimit torrents the list is the one the last finished
  // expiry lap gathered (before the first: what FinishRestore gathered, or nothing), so it may
  // miss a torrent grown since.
  proto::StatsReply Stats(std::uint32_t max_torrents) const;

  // Persistence. Export calls `visit` once per torrent; Restore inserts or replaces one, and
  // FinishRestore makes the restored torrents the top list until the first expiry lap ends.
  void ForEachTorrent(const std::function<void(const TorrentRecord&)>& visit) const;
  void Restore(const TorrentRecord& record);
  void FinishRestore() { last_lap_top_ = restored_top_.TakeBest(); }
  void SetCompleted(const InfoHash& info_hash, std::uint64_t completed);

  std::uint64_t torrents() const { return torrents_.size(); }
  // Torrents with at least one peer (the rest are kept for their completed counts).
  std::uint64_t active_torrents() const { return active_torrents_; }
  std::uint64_t peers() const { return seeders_ + leechers_; }
  std::uint64_t seeders() const { return seeders_; }
  std::uint64_t leechers() const { return leechers_; }
  std::uint64_t partial_seeds() const { return partial_seeds_; }  // of the leechers (BEP 21)
  std::uint64_t completed() const { return completed_; }

  // Heap bytes requested for the peer lists, and for the torrent table's slots. For memory
  // reports (malloc adds about 8 bytes per block: one per address family in use).
  std::size_t PeerListBytes() const;
  std::size_t TableBytes() const { return torrents_.AllocatedBytes(); }

 private:
  // Runs `change` on `swarm` and keeps the totals in step.
  template <typename Change>
  void Update(TorrentSwarm& swarm, Change&& change);
  // Forgets the torrent at `index` if it has no peers and no completions.
  bool EraseIfForgettable(std::size_t index);
  // Forgets the torrent at `index` if it has been idle for `retention` (see ExpireSlice),
  // naming it in `retired`.
  bool RetireIfIdle(std::size_t index, UnixSeconds now, std::int64_t retention,
                    std::vector<InfoHash>& retired);
  std::vector<InfoHash> TopByScan(std::size_t wanted) const;
  std::vector<InfoHash> TopOfLastLap(std::size_t wanted) const;

  PeerIdPolicy peer_ids_;
  TorrentTable torrents_;
  std::optional<InfoHash> expire_cursor_;   // first key of the next slice; nullopt: the start
  TopTorrents lap_top_{kMaxStatsTorrents};  // gathered by the expiry lap under way
  std::vector<InfoHash> last_lap_top_;      // what the last finished lap gathered, best first
  TopTorrents restored_top_{kMaxStatsTorrents};
  std::uint64_t active_torrents_ = 0;
  std::uint64_t seeders_ = 0;
  std::uint64_t leechers_ = 0;
  std::uint64_t partial_seeds_ = 0;
  std::uint64_t completed_ = 0;
};

}  // namespace shardtrack

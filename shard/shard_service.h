// ShardService: answers one RequestBatch from a frontend with one ReplyBatch, against the shard's
// SwarmStore. Refuses batches meant for another shard and infohashes another shard owns, so a
// misconfigured cluster is loud. Knows no socket; time comes in as `now`. Holds a reference to
// the store (owned by the caller) and its own FastRng. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/fast_rng.h"
#include "common/log_throttle.h"
#include "proto/shardtrack.pb.h"
#include "shard/accounting/credit_recorder.h"
#include "shard/peer_announce.h"
#include "shard/recent_completions.h"
#include "shard/swarm_store.h"

namespace shardtrack {

// A completion counted while handling a batch: its reply waits until the journal made it durable.
struct CountedCompletion {
  InfoHash info_hash;
  std::uint64_t completed = 0;  // the torrent's count after it
  int request_index = 0;        // of the announce in the batch (and of its reply)

  bool operator==(const CountedCompletion&) const = default;
};

// How much one shard may hold, so that a flood of made-up torrents or peers cannot take all its
// memory: an announce that would add a torrent with peers or a peer past a limit is refused (a
// failure reason, nothing changed, nothing journaled); peers already listed go on announcing,
// and expiry makes room. Torrents kept without peers for their completed counts do not count
// (else made-up completions would fill the limit for good): --torrent-retention bounds those.
// 0: no limit. Loading the files at start is not limited: a restart never drops state.
struct ShardLimits {
  std::uint32_t max_torrents = 0;  // torrents with at least one peer
  std::uint32_t max_peers = 0;

  static bool Reached(std::uint32_t limit, std::uint64_t held) {
    return limit != 0 && held >= limit;
  }
};

struct ShardServiceCounters {
  // Announce requests handled, those of another shard's torrent and invalid ones included (a
  // misrouted batch's are refused before they are counted).
  std::uint64_t announces = 0;
  std::uint64_t scrapes = 0;  // scrape requests handled, full scrapes included
  std::uint64_t misrouted_batches = 0;
  std::uint64_t misrouted_requests = 0;  // in a misrouted batch, or of another shard's torrent
  std::uint64_t invalid_requests = 0;
  std::uint64_t completions = 0;  // completions counted (a peer's first completed, per torrent)
  // `completed`s taken as none: their peer id's completion of the torrent was counted lately
  // (RecentCompletions), from its other address or from the same one.
  std::uint64_t repeated_completions = 0;
  std::uint64_t refused_torrents = 0;  // new torrents refused at ShardLimits::max_torrents
  std::uint64_t refused_peers = 0;     // new peers refused at ShardLimits::max_peers
  // Peers an announce found last seen too far from its time to read back (the clock moved by
  // weeks, shard/seen_time.h) and dropped.
  std::uint64_t peers_out_of_range = 0;
};

class ShardService {
 public:
  ShardService(std::uint32_t index, std::uint32_t count, SwarmStore& store, std::uint64_t seed,
               ShardLimits limits = {});

  // Announces that name a passkey are credited to its member through `credits` (must outlive
  // this).
  void SetCredits(CreditRecorder* credits) { credits_ = credits; }

  // One Reply per Request, with the same id, in the same order.
  void Handle(const proto::RequestBatch& in, UnixSeconds now, proto::ReplyBatch& out);

  // The announces the last Handle applied to the store, and the completions it counted, in
  // request order: what the journal records, without parsing the batch again.
  const std::vector<PeerAnnounce>& applied() const { return applied_; }
  const std::vector<CountedCompletion>& completions() const { return completions_; }
  const ShardServiceCounters& counters() const { return counters_; }
  const ShardLimits& limits() const { return limits_; }

 private:
  void HandleOne(const proto::Request& request, UnixSeconds now, proto::Reply& reply);
  void HandleAnnounce(const proto::AnnounceRequest& request, UnixSeconds now, proto::Reply& reply);
  void HandleScrape(const proto::ScrapeRequest& request, UnixSeconds now, proto::Reply& reply);
  // Empty if this shard owns `info_hash`, else the failure to send.
  std::string CheckOwner(const InfoHash& info_hash, UnixSeconds now);
  void LogMisroute(UnixSeconds now, const std::string& message);
  // Empty if the store has room for what `announce` adds, else the failure to send.
  std::string CheckRoom(const PeerAnnounce& announce, UnixSeconds now);
  // The limit `announce` would pass: &ShardLimits::max_torrents or max_peers; nullptr: none.
  std::uint32_t ShardLimits::*LimitPassedBy(const PeerAnnounce& announce) const;
  void LogFull(UnixSeconds now, std::uint32_t ShardLimits::*limit);
  void NoteOutOfRange(std::uint32_t peers, UnixSeconds now);

  std::uint32_t index_;
  std::uint32_t count_;
  SwarmStore& store_;
  FastRng rng_;
  RecentCompletions recent_completions_;
  ShardLimits limits_;
  CreditRecorder* credits_ = nullptr;
  std::vector<PeerAnnounce> applied_;
  std::vector<CountedCompletion> completions_;
  bool full_scrape_in_batch_ = false;  // the batch being handled asked for one already
  ShardServiceCounters counters_;
  LogThrottle misroute_log_;      // an error line a minute at most
  LogThrottle full_log_;          // and a warning about the limits
  LogThrottle out_of_range_log_;  // and one about peers dropped when the clock moved
};

}  // namespace shardtrack

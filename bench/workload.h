// Workload: decides each request a run sends and remembers what the run has seen of every
// swarm, so a reply can be checked against it. Loop thread only (one per run); owns its random
// engine and its per-torrent knowledge (about 40 bytes a torrent).
//
// Load modes pick a torrent from the popularity model, a peer among those that announce from
// the connection's source address, and an event from the mix. Populate mode announces peers
// 0..peers-1 once each (peer j joins torrent j % torrents, numwant=0) and then runs dry.
// A leecher's announce must list peers when, at send time, another peer's announce to that
// torrent has succeeded and no stop for it is in flight, and no stop was sent during the request.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bench/request_builder.h"
#include "bench/torrent_picker.h"

namespace shardtrack {

enum class WorkloadMode { kAnnounce, kScrape, kMix, kPopulate };

struct WorkloadOptions {
  WorkloadMode mode = WorkloadMode::kAnnounce;
  std::uint64_t torrents = 10000;
  std::uint64_t peers = 100000;
  std::uint32_t source_count = 1;
  double scrape_fraction = 0.2;  // mix mode
  double started_percent = 5;    // the rest of the announces without the three below are "none"
  double completed_percent = 2;
  double stopped_percent = 3;
  double seeder_percent = 25;
  int numwant = 50;
  std::uint64_t passkeys = 0;  // members; 0: no passkey in the paths
  bool keep_alive = true;
  std::string host;  // the Host header
  std::uint64_t seed = 1;
};

struct PlannedRequest {
  std::string wire;
  bool is_scrape = false;
  std::uint64_t torrent = 0;
  std::uint64_t peer = 0;
  AnnounceEvent event = AnnounceEvent::kNone;
  bool expect_peers = false;  // scrape: expect an entry with a peer
  std::uint64_t stops_sent_at_send = 0;
};

class Workload {
 public:
  Workload(WorkloadOptions options, TorrentPicker picker);

  // The next request for a connection bound to source address `source_index`; nullopt once a
  // populate run has sent every peer from that source.
  std::optional<PlannedRequest> Next(std::uint32_t source_index);
  // Whether the reply to `request` must list peers (scrape: an entry), judged at reply time.
  bool ExpectPeers(const PlannedRequest& request) const;
  // Records the outcome of `request` (ok: the reply passed validation), or its loss.
  void OnReply(const PlannedRequest& request, bool ok);

  const WorkloadOptions& options() const { return options_; }

 private:
  struct TorrentKnowledge {
    std::int64_t present[2] = {-1, -1};  // peers whose announce succeeded, not stopped since
    std::uint32_t stops_in_flight = 0;
    std::uint64_t stops_sent = 0;
  };
  PlannedRequest PlanLoad(std::uint32_t source_index);
  std::optional<PlannedRequest> PlanPopulate(std::uint32_t source_index);
  // Peer `peer`'s passkey; empty without --passkeys.
  std::string PasskeyOf(std::uint64_t peer) const {
    return options_.passkeys == 0 ? std::string() : BenchPasskey(peer, options_.passkeys);
  }
  AnnounceEvent PickEvent();
  bool HasOtherPresentPeer(const TorrentKnowledge& knowledge, std::uint64_t peer) const;

  WorkloadOptions options_;
  TorrentPicker picker_;
  std::mt19937_64 rng_;
  std::vector<TorrentKnowledge> torrents_;
  std::vector<std::uint64_t> populate_next_;  // per source: the next k for peer k*S + source
};

}  // namespace shardtrack

#include "bench/workload.h"

#include <algorithm>

namespace shardtrack {
namespace {

constexpr std::uint64_t kLeft = 1000000;  // what a leecher still needs, in bytes

// Whether `peer` seeds `torrent`: a hash of the pair, so that each torrent gets its share of
// seeders and leechers whatever maps peers to torrents (under populate's torrent = peer %
// torrents, a rule linear in the peer made every torrent all seeders or all leechers).
bool SeedsTorrent(std::uint64_t peer, std::uint64_t torrent, double percent) {
  const std::uint64_t mixed = peer * 0x9E3779B97F4A7C15ULL ^ torrent * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<double>((mixed >> 32) % 100) < percent;
}

}  // namespace

Workload::Workload(WorkloadOptions options, TorrentPicker picker)
    : options_(std::move(options)),
      picker_(std::move(picker)),
      rng_(options_.seed),
      torrents_(options_.torrents),
      populate_next_(std::max<std::uint32_t>(options_.source_count, 1), 0) {
  options_.source_count = std::max<std::uint32_t>(options_.source_count, 1);
}

std::optional<PlannedRequest> Workload::Next(std::uint32_t source_index) {
  source_index %= options_.source_count;
  if (options_.mode == WorkloadMode::kPopulate) return PlanPopulate(source_index);
  return PlanLoad(source_index);
}

AnnounceEvent Workload::PickEvent() {
  const double roll = std::uniform_real_distribution<double>(0, 100)(rng_);
  if (roll < options_.started_percent) return AnnounceEvent::kStarted;
  if (roll < options_.started_percent + options_.completed_percent) {
    return AnnounceEvent::kCompleted;
  }
  if (roll < options_.started_percent + options_.completed_percent + options_.stopped_percent) {
    return AnnounceEvent::kStopped;
  }
  return AnnounceEvent::kNone;
}

bool Workload::HasOtherPresentPeer(const TorrentKnowledge& knowledge, std::uint64_t peer) const {
  return std::any_of(
      std::begin(knowledge.present), std::end(knowledge.present),
      [peer](std::int64_t p) { return p >= 0 && static_cast<std::uint64_t>(p) != peer; });
}

PlannedRequest Workload::PlanLoad(std::uint32_t source_index) {
  PlannedRequest out;
  out.torrent = picker_.Pick(rng_) % options_.torrents;
  TorrentKnowledge& knowledge = torrents_[out.torrent];
  const InfoHash info_hash = BenchInfoHash(out.torrent);
  const bool scrape =
      options_.mode == WorkloadMode::kScrape ||
      (options_.mode == WorkloadMode::kMix &&
       std::uniform_real_distribution<double>(0, 1)(rng_) < options_.scrape_fraction);
  out.stops_sent_at_send = knowledge.stops_sent;
  if (scrape) {
    out.is_scrape = true;
    out.expect_peers = knowledge.stops_in_flight == 0 && HasOtherPresentPeer(knowledge, ~0ULL);
    out.wire =
        BuildScrapeRequest(info_hash, options_.host, options_.keep_alive, PasskeyOf(source_index));
    return out;
  }
  const std::uint32_t sources = options_.source_count;
  const std::uint64_t slots =
      std::max<std::uint64_t>((options_.peers + sources - 1 - source_index) / sources, 1);
  out.peer =
      std::uniform_int_distribution<std::uint64_t>(0, slots - 1)(rng_) * sources + source_index;
  const BenchPeer peer = BenchPeerFor(out.peer, sources);
  out.event = PickEvent();
  const bool seeder = out.event == AnnounceEvent::kCompleted ||
                      SeedsTorrent(out.peer, out.torrent, options_.seeder_percent);
  out.expect_peers = out.event != AnnounceEvent::kStopped && !seeder && options_.numwant > 0 &&
                     knowledge.stops_in_flight == 0 && HasOtherPresentPeer(knowledge, out.peer);
  if (out.event == AnnounceEvent::kStopped) {
    ++knowledge.stops_in_flight;
    ++knowledge.stops_sent;
  }
  AnnounceSpec spec{info_hash,          peer.peer_id,     peer.port,          out.event,
                    seeder ? 0 : kLeft, options_.numwant, PasskeyOf(out.peer)};
  out.wire = BuildAnnounceRequest(spec, options_.host, options_.keep_alive);
  return out;
}

std::optional<PlannedRequest> Workload::PlanPopulate(std::uint32_t source_index) {
  const std::uint64_t j = populate_next_[source_index] * options_.source_count + source_index;
  if (j >= options_.peers) return std::nullopt;
  ++populate_next_[source_index];
  PlannedRequest out;
  out.peer = j;
  out.torrent = j % options_.torrents;
  out.event = AnnounceEvent::kStarted;
  const BenchPeer peer = BenchPeerFor(j, options_.source_count);
  const bool seeder = SeedsTorrent(j, out.torrent, options_.seeder_percent);
  AnnounceSpec spec{BenchInfoHash(out.torrent),
                    peer.peer_id,
                    peer.port,
                    out.event,
                    seeder ? 0 : kLeft,
                    0,
                    PasskeyOf(j)};
  out.wire = BuildAnnounceRequest(spec, options_.host, options_.keep_alive);
  return out;
}

bool Workload::ExpectPeers(const PlannedRequest& request) const {
  return request.expect_peers &&
         torrents_[request.torrent].stops_sent == request.stops_sent_at_send;
}

void Workload::OnReply(const PlannedRequest& request, bool ok) {
  if (request.is_scrape || options_.mode == WorkloadMode::kPopulate) return;
  TorrentKnowledge& knowledge = torrents_[request.torrent];
  const auto peer = static_cast<std::int64_t>(request.peer);
  if (request.event == AnnounceEvent::kStopped) {
    --knowledge.stops_in_flight;
    for (std::int64_t& p : knowledge.present) {
      if (p == peer) p = -1;
    }
    return;
  }
  if (!ok) return;
  if (knowledge.present[0] == peer || knowledge.present[1] == peer) return;
  knowledge.present[1] = knowledge.present[0];
  knowledge.present[0] = peer;
}

}  // namespace shardtrack

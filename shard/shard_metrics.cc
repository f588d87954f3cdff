#include "shard/shard_metrics.h"

#include <string>

namespace shardtrack {

void RegisterShardMetrics(MetricsRegistry& registry, std::uint32_t index, std::uint32_t count,
                          const SwarmStore& store, const ShardService& service,
                          const ShardServer& server, const ExpirySweep::Stats& expiry) {
  MetricLabels shard = {{"shard", std::to_string(index)}};
  registry.AddGauge("shardtrack_shard_info", "This shard's index and the cluster's shard count.",
                    {{"shard", std::to_string(index)}, {"count", std::to_string(count)}},
                    [] { return 1.0; });
  auto gauge = [&](const char* name, const char* help, auto read) {
    registry.AddGauge(name, help, shard, [&store, read] { return double(read(store)); });
  };
  gauge("shardtrack_torrents", "Torrents this shard holds.",
        [](const SwarmStore& s) { return s.torrents(); });
  gauge("shardtrack_active_torrents",
        "Torrents with at least one peer (what --max-torrents bounds; the rest are kept for their "
        "completed counts).",
        [](const SwarmStore& s) { return s.active_torrents(); });
  gauge("shardtrack_peers", "Peers in this shard's swarms.",
        [](const SwarmStore& s) { return s.peers(); });
  gauge("shardtrack_seeders", "Seeders in this shard's swarms.",
        [](const SwarmStore& s) { return s.seeders(); });
  gauge("shardtrack_leechers", "Leechers in this shard's swarms.",
        [](const SwarmStore& s) { return s.leechers(); });
  gauge("shardtrack_partial_seeds",
        "Leechers that say they want nothing more (BEP 21's partial seeds, event=paused); a "
        "scrape's downloaders are the other leechers.",
        [](const SwarmStore& s) { return s.partial_seeds(); });
  gauge("shardtrack_completed",
        "Completed counts of the torrents this shard holds (lower once --torrent-retention "
        "forgets a torrent, or another shard takes it).",
        [](const SwarmStore& s) { return s.completed(); });
  const ShardServiceCounters& counters = service.counters();
  registry.AddCounter("shardtrack_completions_total",
                      "Completions this process counted (a peer's first, per torrent).", shard,
                      [&counters] { return counters.completions; });
  registry.AddCounter("shardtrack_repeated_completions_total",
                      "Completed events taken as none: the peer id's completion of the torrent "
                      "was counted within 10 minutes (from its other address, a client "
                      "announcing over both families, or from the same one, a retry).",
                      shard, [&counters] { return counters.repeated_completions; });
  registry.AddCounter("shardtrack_shard_requests_total", "Requests handled, by kind.",
                      {shard[0], {"kind", "announce"}}, [&counters] { return counters.announces; });
  registry.AddCounter("shardtrack_shard_requests_total", "Requests handled, by kind.",
                      {shard[0], {"kind", "scrape"}}, [&counters] { return counters.scrapes; });
  registry.AddCounter("shardtrack_misrouted_requests_total",
                      "Requests refused as misrouted: their infohash belongs to another shard, or "
                      "their batch was addressed to another shard index or count.",
                      shard, [&counters] { return counters.misrouted_requests; });
  registry.AddCounter("shardtrack_misrouted_batches_total",
                      "Batches refused: addressed to another shard index or count.", shard,
                      [&counters] { return counters.misrouted_batches; });
  registry.AddCounter("shardtrack_invalid_requests_total", "Malformed requests refused.", shard,
                      [&counters] { return counters.invalid_requests; });
  const ShardLimits& limits = service.limits();
  registry.AddGauge("shardtrack_torrent_limit",
                    "--max-torrents: torrents with peers this shard may hold (0: no limit).", shard,
                    [&limits] { return double(limits.max_torrents); });
  registry.AddGauge("shardtrack_peer_limit",
                    "--max-peers: peers this shard may hold (0: no limit).", shard,
                    [&limits] { return double(limits.max_peers); });
  const char* refused_help = "Announces refused for a full shard, by the limit reached.";
  registry.AddCounter("shardtrack_full_refusals_total", refused_help,
                      {shard[0], {"limit", "max-torrents"}},
                      [&counters] { return counters.refused_torrents; });
  registry.AddCounter("shardtrack_full_refusals_total", refused_help,
                      {shard[0], {"limit", "max-peers"}},
                      [&counters] { return counters.refused_peers; });
  registry.AddCounter("shardtrack_late_requests_total",
                      "Requests dropped unapplied: they came after their frontend had told the "
                      "client to retry (the shard stalled or fell behind).",
                      shard, [&server] { return server.late_requests(); });
  registry.AddCounter("shardtrack_revoked_requests_total",
                      "Requests dropped unapplied: their frontend's CURVE key was taken off "
                      "--frontend-keys-file after it connected.",
                      shard, [&server] { return server.revoked_requests(); });
  registry.AddCounter("shardtrack_batches_total", "Request batches handled.", shard,
                      [&server] { return server.batches_handled(); });
  registry.AddCounter("shardtrack_malformed_messages_total",
                      "Messages dropped unread: not a RequestBatch from a frontend.", shard,
                      [&server] { return server.malformed_messages(); });
  const auto seconds = [](Duration d) { return std::chrono::duration<double>(d).count(); };
  registry.AddCounter("shardtrack_expired_peers_total",
                      "Peers removed for not announcing within --peer-timeout.", shard,
                      [&expiry] { return expiry.peers_expired; });
  registry.AddCounter("shardtrack_peers_out_of_range_total",
                      "Peers dropped as last seen more than 21 days from the time of an announce "
                      "to their torrent: the clock moved by weeks.",
                      shard, [&counters] { return counters.peers_out_of_range; });
  registry.AddCounter("shardtrack_expired_torrents_total",
                      "Torrents forgotten by expiry: no peers left and nothing completed, or no "
                      "announce within --torrent-retention.",
                      shard, [&expiry] { return expiry.torrents_forgotten; });
  registry.AddCounter("shardtrack_retired_torrents_total",
                      "Torrents forgotten with their completed counts, after --torrent-retention "
                      "without peers or announces.",
                      shard, [&expiry] { return expiry.torrents_retired; });
  registry.AddGauge("shardtrack_expiry_lap_seconds",
                    "How long the last expiry sweep over all torrents took (bound: --expire-lap).",
                    shard, [&expiry, seconds] { return seconds(expiry.last_lap); });
  registry.AddGauge("shardtrack_expiry_slice_seconds",
                    "The longest expiry slice of the last sweep: the loop's pause for expiry.",
                    shard, [&expiry, seconds] { return seconds(expiry.longest_slice); });
  registry.AddGauge("shardtrack_expiry_gap_seconds",
                    "Time between expiry slices now (--expire-interval, or less for a big table).",
                    shard, [&expiry, seconds] { return seconds(expiry.gap); });
}

}  // namespace shardtrack

#include "frontend/frontend_metrics.h"

#include <string>

#include "frontend/tracker_handler.h"
#include "frontend/udp_tracker_handler.h"

namespace shardtrack {
namespace {

constexpr const char* kRouteNames[kRouteCount] = {"announce", "scrape",  "info_page", "readyz",
                                                  "serving",  "healthz", "metrics",   "other"};
constexpr const char* kOutcomeNames[kOutcomeCount] = {"ok", "failure", "error"};

// 100 us to 3.3 s: an announce answered on the same host takes well under a millisecond; a
// shard timeout (1 s by default) lands in the top buckets.
constexpr double kLatencyStart = 0.0001;
constexpr double kLatencyFactor = 2;
constexpr int kLatencyBuckets = 16;

}  // namespace

FrontendMetrics::FrontendMetrics(MetricsRegistry& registry, const Clock& clock)
    : registry_(registry), clock_(clock) {
  for (std::size_t route = 0; route < kRouteCount; ++route) {
    for (std::size_t outcome = 0; outcome < kOutcomeCount; ++outcome) {
      requests_[route][outcome] = &registry.AddCounter(
          "shardtrack_http_requests_total",
          "HTTP requests answered, by route and outcome (failure: a bencoded failure reason).",
          {{"route", kRouteNames[route]}, {"outcome", kOutcomeNames[outcome]}});
    }
  }
  for (std::size_t route = 0; route < kRouteCount; ++route) {
    latency_[route] =
        &registry.AddHistogram("shardtrack_http_request_duration_seconds",
                               "Time from a request's arrival to its answer, by route.",
                               ExponentialBuckets(kLatencyStart, kLatencyFactor, kLatencyBuckets),
                               {{"route", kRouteNames[route]}});
  }
}

void FrontendMetrics::Record(Route route, Outcome outcome, MonoTime started) {
  auto r = static_cast<std::size_t>(route);
  requests_[r][static_cast<std::size_t>(outcome)]->Increment();
  latency_[r]->Observe(std::chrono::duration<double>(clock_.Now() - started).count());
}

void FrontendMetrics::WatchHttp(const HttpServer& http) {
  registry_.AddGauge("shardtrack_open_connections", "Open client connections.", {},
                     [&http] { return double(http.connection_count()); });
  registry_.AddGauge("shardtrack_lingering_connections",
                     "Connections closed after an error answer, still taking the client's last "
                     "bytes (up to 2 s); they count towards --max-connections.",
                     {}, [&http] { return double(http.lingering_count()); });
  registry_.AddGauge("shardtrack_requests_in_flight", "Requests waiting for their answer.", {},
                     [&http] { return double(http.requests_in_flight()); });
  registry_.AddCounter("shardtrack_http_malformed_requests_total",
                       "Requests refused by the HTTP parser (400, 405, 413, 414, 431, 505) or "
                       "not finished within --request-timeout (408).",
                       {}, [&http] { return http.malformed_requests(); });
  registry_.AddCounter("shardtrack_refused_connections_total",
                       "Connections refused by the client address policy (untrusted PROXY "
                       "header, or none where one is required).",
                       {}, [&http] { return http.refused_connections(); });
  registry_.AddCounter(
      "shardtrack_connection_limit_closes_total",
      "New connections answered 503 and closed at once: --max-connections were open.", {},
      [&http] { return http.closed_over_connection_limit(); });
  registry_.AddCounter("shardtrack_slow_reader_closes_total",
                       "Connections closed because their client left more than "
                       "--max-output-bytes of replies unread.",
                       {}, [&http] { return http.closed_slow_readers(); });
  registry_.AddCounter("shardtrack_accept_failures_total",
                       "accept() failures for want of descriptors or memory; each pauses new "
                       "connections briefly (raise the open-file limit).",
                       {}, [&http] { return http.accept_failures(); });
  registry_.AddCounter("shardtrack_client_connection_limit_refusals_total",
                       "Connections answered 429: their client already held "
                       "--max-connections-per-client.",
                       {}, [&http] { return http.connections_over_client_limit(); });
}

void FrontendMetrics::WatchShards(const ShardRouter& router) {
  for (std::uint32_t shard = 0; shard < router.shard_count(); ++shard) {
    MetricLabels labels = {{"shard", std::to_string(shard)}};
    registry_.AddGauge("shardtrack_shard_pending", "Requests sent to a shard and not answered.",
                       labels, [&router, shard] { return double(router.counters(shard).pending); });
    registry_.AddGauge("shardtrack_shard_reachable",
                       "1 while a shard takes requests and answers; 0 from a send that found no "
                       "connection (the shard down, or not listening where --shard says) until "
                       "one goes through, and from a timeout with no word from the shard (hung) "
                       "until it answers.",
                       labels, [&router, shard] { return router.reachable(shard) ? 1.0 : 0.0; });
    registry_.AddCounter("shardtrack_shard_sent_total", "Requests sent to a shard.", labels,
                         [&router, shard] { return router.counters(shard).sent; });
    registry_.AddCounter("shardtrack_shard_replied_total", "Replies received from a shard.", labels,
                         [&router, shard] { return router.counters(shard).replied; });
    registry_.AddCounter("shardtrack_shard_timeouts_total",
                         "Requests sent to a shard and not answered in time.", labels,
                         [&router, shard] { return router.counters(shard).timeouts; });
    registry_.AddCounter("shardtrack_shard_unavailable_total",
                         "Requests failed unsent: the shard was overloaded, unreachable or hung.",
                         labels, [&router, shard] { return router.counters(shard).unavailable; });
  }
}

void FrontendMetrics::WatchAccess(const TorrentAccess& access) {
  const char* refused = "shardtrack_access_refused_total";
  const char* refused_help =
      "Torrents refused by the access list: announces (HTTP and UDP) failed, and scraped "
      "infohashes answered as unknown.";
  registry_.AddCounter(refused, refused_help, {{"kind", "announce"}},
                       [&access] { return access.counters().refused_announces; });
  registry_.AddCounter(refused, refused_help, {{"kind", "scrape"}},
                       [&access] { return access.counters().refused_scrapes; });
  registry_.AddGauge("shardtrack_access_list_entries", "Torrents in the access list in force.", {},
                     [&access] { return double(access.entries()); });
  AddReloadCounters(registry_, "shardtrack_access_list_reloads_total", access);
}

void FrontendMetrics::WatchPasskeys(const PasskeyAccess& passkeys) {
  const char* refused = "shardtrack_passkey_refused_total";
  const char* refused_help =
      "Announces and scrapes (HTTP and UDP) refused for naming no passkey or one not listed.";
  registry_.AddCounter(refused, refused_help, {{"reason", "missing"}},
                       [&passkeys] { return passkeys.counters().refused_missing; });
  registry_.AddCounter(refused, refused_help, {{"reason", "unknown"}},
                       [&passkeys] { return passkeys.counters().refused_unknown; });
  registry_.AddGauge("shardtrack_passkeys", "Passkeys in the passkey file in force.", {},
                     [&passkeys] { return double(passkeys.entries()); });
  AddReloadCounters(registry_, "shardtrack_passkey_file_reloads_total", passkeys);
}

void FrontendMetrics::WatchClients(const ClientAccess& clients) {
  registry_.AddCounter("shardtrack_client_refused_total",
                       "Announces (HTTP and UDP) refused for the client their peer id names "
                       "(--client-list).",
                       {}, [&clients] { return clients.counters().refused_announces; });
  registry_.AddGauge("shardtrack_client_list_entries",
                     "Peer id prefixes in the client list in force.", {},
                     [&clients] { return double(clients.entries()); });
  AddReloadCounters(registry_, "shardtrack_client_list_reloads_total", clients);
}

void FrontendMetrics::WatchIps(const IpAccess& ips) {
  registry_.AddCounter("shardtrack_ip_refused_total",
                       "Requests (HTTP announces, scrapes and info pages; UDP datagrams) refused "
                       "for their client's address (--ip-list).",
                       {}, [&ips] { return ips.refused(); });
  registry_.AddGauge("shardtrack_ip_list_entries",
                     "Addresses, blocks and ranges in the IP list in force.", {},
                     [&ips] { return double(ips.entries()); });
  AddReloadCounters(registry_, "shardtrack_ip_list_reloads_total", ips);
}

void FrontendMetrics::WatchFullScrapes(const TrackerHandler& handler) {
  registry_.AddCounter("shardtrack_full_scrapes_truncated_total",
                       "Full scrapes that listed only --full-scrape-limit torrents of a shard "
                       "holding more.",
                       {}, [&handler] { return handler.full_scrapes_truncated(); });
}

void FrontendMetrics::WatchLimiter(const ClientRequestLimiter& limiter) {
  registry_.AddCounter("shardtrack_client_request_limit_refusals_total",
                       "Tracker requests refused because their client was over "
                       "--client-request-rate.",
                       {}, [&limiter] { return limiter.refusals(); });
}

void FrontendMetrics::WatchUdp(const UdpCounters& counters, const UdpSocket& socket) {
  const char* name = "shardtrack_udp_datagrams_total";
  const char* help = "UDP tracker datagrams by what became of them.";
  registry_.AddCounter(name, help, {{"kind", "connect"}},
                       [&counters] { return counters.connects; });
  registry_.AddCounter(name, help, {{"kind", "announce"}},
                       [&counters] { return counters.announces; });
  registry_.AddCounter(name, help, {{"kind", "scrape"}}, [&counters] { return counters.scrapes; });
  registry_.AddCounter(name, help, {{"kind", "error"}}, [&counters] { return counters.errors; });
  registry_.AddCounter(name, help, {{"kind", "dropped"}}, [&counters] { return counters.dropped; });
  registry_.AddCounter(name, help, {{"kind", "oversized"}},
                       [&socket] { return socket.oversized(); });
  registry_.AddCounter("shardtrack_udp_receive_drops_total",
                       "UDP datagrams the kernel dropped unread, the socket's receive buffer full "
                       "(raise net.core.rmem_default, or run more frontends).",
                       {}, [&socket] { return socket.receive_drops(); });
  registry_.AddCounter("shardtrack_udp_replies_unsent_total",
                       "UDP replies dropped: no room in the kernel's send buffer, or refused by it "
                       "(the client asks again).",
                       {}, [&socket] { return socket.unsent(); });
}

void FrontendMetrics::WatchLoop(const EventLoop& loop) {
  registry_.AddCounter("shardtrack_loop_turns_total",
                       "Event loop turns (per request, under 1 when requests are batched).", {},
                       [&loop] { return loop.counters().turns; });
  registry_.AddCounter("shardtrack_loop_batch_holds_total",
                       "Turns that held client input back for --batch-window-us.", {},
                       [&loop] { return loop.counters().holds; });
}

}  // namespace shardtrack

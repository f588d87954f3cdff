// FrontendMetrics: a frontend's series in a MetricsRegistry (owned by the caller, who also
// renders it): requests by route and outcome, a latency histogram per route, open connections,
// requests refused before the handler, per-shard counters of the ShardRouter, the list files'
// (access list, passkeys, client list, IP list) sizes, refusals and reloads, truncated full
// scrapes, requests over the client rate, UDP datagrams and the event loop's turns. What is
// watched is read at render time and must outlive the registry. Loop thread only.
#pragma once

#include <array>
#include <cstddef>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "common/reactor/udp_socket.h"
#include "frontend/access/client_access.h"
#include "frontend/access/ip_access.h"
#include "frontend/access/passkey_access.h"
#include "frontend/access/torrent_access.h"
#include "frontend/client_request_limiter.h"
#include "frontend/http_server.h"
#include "frontend/shard_router.h"

namespace shardtrack {

// Declared only: tracker_handler.h includes this header, and udp_tracker_handler.h much more.
class TrackerHandler;
struct UdpCounters;

enum class Route { kAnnounce, kScrape, kInfoPage, kReadyz, kServing, kHealthz, kMetrics, kOther };
inline constexpr std::size_t kRouteCount = 8;

enum class Outcome {
  kOk,       // 200 with the route's answer
  kFailure,  // 200 with a bencoded failure reason (invalid request, shard down, overload)
  kError,    // any other status (404, 503)
};
inline constexpr std::size_t kOutcomeCount = 3;

class FrontendMetrics {
 public:
  FrontendMetrics(MetricsRegistry& registry, const Clock& clock);

  MonoTime Now() const { return clock_.Now(); }
  // One answered request that arrived at `started`.
  void Record(Route route, Outcome outcome, MonoTime started);

  void WatchHttp(const HttpServer& http);
  void WatchShards(const ShardRouter& router);
  void WatchAccess(const TorrentAccess& access);
  void WatchPasskeys(const PasskeyAccess& passkeys);
  void WatchClients(const ClientAccess& clients);
  void WatchIps(const IpAccess& ips);
  void WatchFullScrapes(const TrackerHandler& handler);
  void WatchLimiter(const ClientRequestLimiter& limiter);
  // With --udp-port: the handler's counters and the socket's drops.
  void WatchUdp(const UdpCounters& counters, const UdpSocket& socket);
  void WatchLoop(const EventLoop& loop);

  const MetricsRegistry& registry() const { return registry_; }

 private:
  MetricsRegistry& registry_;
  const Clock& clock_;
  std::array<std::array<Counter*, kOutcomeCount>, kRouteCount> requests_{};
  std::array<Histogram*, kRouteCount> latency_{};
};

}  // namespace shardtrack

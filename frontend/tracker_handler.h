// TrackerHandler: the tracker's routes. It maps an HTTP request to shard requests and shard
// replies back to HTTP responses; it knows no sockets.
//
//   /announce  parse, route to the owning shard, answer from its reply
//   /scrape    split the infohashes by owner, ask each shard once, gather (no info_hash: every
//              shard, if full scrape is on; that reply is reused for --full-scrape-cache seconds,
//              and gzipped, once, for clients that take it, with --full-scrape-gzip)
//   /          the HTML info page, totals gathered from every shard
//   /healthz   liveness: 200 while the process serves
//   /readyz    readiness: 200 only when every shard answers and the frontend is not draining
//   /serving   what a balancer checks: 200 until the frontend drains (a shard that is down is
//              every frontend's, so it takes no frontend out)
//   /metrics   the Prometheus text format, once AttachMetrics was called (404 before, and with
//              ServeMetricsElsewhere)
// AttachAdmission gives the optional checks (frontend/admission.h):
// With an access list, an announce of a torrent not served fails before it reaches
// a shard, a scrape answers it as an unknown torrent (zero counts), and a full scrape and the
// info page's rows leave it out.
// With passkeys, announce and scrape name a passkey (/<passkey>/announce and
// the other forms FindPasskey knows), and a request without a listed one gets a failure reason
// before it is parsed; the other paths need none, and the info page shows totals only.
// With a client list, an announce whose peer id names a client it refuses fails
// before it reaches a shard.
// With an IP list, a refused address's announce and scrape get a failure reason and
// its info page a 403, before the request limiter counts it; the health checks and /metrics
// answer every address.
// With a request limiter, a client over its rate is refused before parsing:
// announce and scrape with a bencoded failure reason and BEP 31's `retry in`, the info page with
// 429. /healthz, /readyz, /serving and /metrics are not limited: balancers and monitors ask them
// often.
// While draining (SIGTERM) every response closes its connection, so a balancer stops reusing it.
// Tracker-level errors are HTTP 200 with a bencoded `failure reason`. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log_throttle.h"
#include "common/reply_limits.h"
#include "common/slab.h"
#include "frontend/admission.h"
#include "frontend/announce_interval.h"
#include "frontend/announce_request.h"
#include "frontend/asker.h"
#include "frontend/frontend_metrics.h"
#include "frontend/frontend_settings.h"
#include "frontend/http_server.h"
#include "frontend/shard_router.h"
#include "frontend/shared_fan_out.h"
#include "frontend/tracker_route.h"

namespace shardtrack {

class TrackerHandler final : public RequestHandler, public ShardRouter::Listener {
 public:
  TrackerHandler(const FrontendSettings& settings, AnnounceOptions announce_options,
                 const Clock& clock);
  // Both must outlive this handler; they are built after it because they call back into it.
  void Attach(HttpServer& http, ShardRouter& router);
  // Optional: counts every answer and serves /metrics. Must outlive this handler.
  void AttachMetrics(FrontendMetrics& metrics) { metrics_ = &metrics; }
  // The checks a request passes before it reaches a shard (none by default).
  void AttachAdmission(const Admission& admission) { admission_ = admission; }
  // /metrics is served on a port of its own (--metrics-listen): this one answers it 404.
  void ServeMetricsElsewhere() { metrics_elsewhere_ = true; }
  // From now on /readyz fails and responses close their connections (graceful shutdown).
  void SetDraining() { draining_ = true; }

  void OnRequest(ResponseSlot slot, const HttpRequest& request, const IpAddress& client) override;
  // GET alone for an announce (a HEAD of one is refused: it would change its swarm).
  std::string_view AllowedMethods(std::string_view path) const override;
  void OnShardReply(ShardRouter::Token token, const proto::Reply& reply) override;

  // Full scrapes that listed only some torrents of a shard (--full-scrape-limit).
  std::uint64_t full_scrapes_truncated() const { return full_scrapes_truncated_; }

 private:
  // A request waiting on one or more shards. Kept in a slab and reused: no allocation per
  // announce once warm.
  struct Exchange {
    Asker asker;  // its route: which shards were asked, and what for
    std::uint32_t outstanding = 0;
    bool compact = true;
    bool full_scrape = false;        // leaves out the torrents the access list refuses
    std::uint64_t list_version = 0;  // a fan-out's: AccessListVersion() when it was asked
    bool no_peer_id = false;
    IpAddress client;
    std::string failure;                 // first failure among the shard replies
    std::uint32_t retry_in_minutes = 0;  // that failure's BEP 31 `retry in` (0: none)
    proto::ScrapeReply scrape;           // gathered scrape entries
    proto::StatsReply stats;             // gathered totals
    std::uint32_t shards_answered = 0;
    bool misrouted = false;  // a shard refused as misrouted: the cluster is misconfigured
  };

  // A reply reused for a while (--full-scrape-cache, --info-page-cache), so that a flood of them
  // does not make every shard walk its torrents each time.
  struct ReusedReply {
    std::string body;
    std::optional<MonoTime> asked;   // when the shards were asked for it; none: nothing to reuse
    std::uint64_t list_version = 0;  // AccessListVersion() it was filtered with
    bool FreshAt(MonoTime now, std::uint32_t seconds, std::uint64_t version) const {
      return asked && list_version == version && now - *asked < std::chrono::seconds(seconds);
    }
  };

  // The route a request for `path` and `query` takes, and the passkey it names on a members-only
  // tracker.
  PasskeyPath RouteOfPath(std::string_view path, std::string_view query) const;
  Route RouteNamed(std::string_view path) const;
  // False, having answered `asker`, when `client` is refused by the IP list or over its rate, or
  // `passkey` is not a member's.
  bool Admit(const Asker& asker, const IpAddress& client, std::string_view passkey = {});
  void HandleAnnounce(const Asker& asker, std::string_view query, const IpAddress& client,
                      std::string_view passkey);
  void HandleScrape(const Asker& asker, std::string_view query);
  // Answers `asker` (a full scrape, the info page, /readyz) from every shard: it waits for the
  // fan-out of its route under way, or starts one.
  void AskEveryShard(const Asker& asker);
  void StartFanOut(const Asker& asker);
  // Answers the refused `hashes` in `reply` as unknown torrents; returns the others.
  std::span<const InfoHash> AnswerRefused(const std::vector<InfoHash>& hashes,
                                          proto::ScrapeReply& reply);
  bool Serves(const proto::ScrapeEntry& entry) const;
  // Gives `entry` its torrent's name, when the access list has one.
  void Name(proto::ScrapeEntry& entry) const;
  // Rows in the info page's torrent table: none on a members-only tracker, whose page anyone
  // may read but whose torrents only members may know.
  std::uint32_t InfoPageTorrents() const {
    return admission_.members_only() ? 0 : settings_.info_page_torrents;
  }
  // Rows asked of each shard: with a torrent list in force, as many as a shard lists, since the
  // torrents it does not serve are dropped only here and would push served ones out of the table.
  std::uint32_t TopRowsAskedOfEachShard() const {
    const std::uint32_t rows = InfoPageTorrents();
    return rows != 0 && admission_.torrents != nullptr ? kMaxInfoPageTorrents : rows;
  }
  // Changes whenever another access list comes into force.
  std::uint64_t AccessListVersion() const;
  // What a full scrape budgets for each torrent's name: the list in force's longest, or 0.
  std::size_t LongestName() const;
  // `reply` was asked for within `seconds` before `now`, under the access list in force.
  bool Reusable(const ReusedReply& reply, std::uint32_t seconds, MonoTime now) const {
    return reply.FreshAt(now, seconds, AccessListVersion());
  }
  void Finish(std::uint32_t index);
  void FinishAnnounce(const Exchange& exchange, const proto::AnnounceReply& reply);
  void FinishScrape(const Exchange& exchange);
  void FinishFullScrape(Exchange& exchange);
  void FinishInfoPage(Exchange& exchange);
  void FinishReady(const Exchange& exchange);
  // Answers the exchange's asker with `answer` (a callable taking an Asker), then each of the
  // waiters of its fan-out (every fan-out is shared), then asks again for the requests deferred
  // for it (asked under another access list).
  template <typename Answer>
  void AnswerAll(const Exchange& exchange, Answer answer);
  // The fan-outs of `route` that requests wait for when one is under way; nullptr for none.
  SharedFanOut* SharingOf(Route route);
  // A full scrape asked at `asked` listed only some torrents of a shard.
  void NoteTruncatedFullScrape(MonoTime asked);

  std::uint32_t NewExchange(const Asker& asker);
  // A request refused before it is handled: the info page gets `page_status` and `reason` as
  // text, a tracker route a bencoded failure (with BEP 31's `retry in` when not 0).
  void Refuse(const Asker& asker, int page_status, std::string_view reason,
              std::uint32_t retry_in_minutes = 0);
  // With BEP 31's `retry in` when `retry_in_minutes` is not 0 (the shard was busy, silent or
  // unreachable; the client over its rate).
  void RespondFailure(const Asker& asker, std::string_view reason,
                      std::uint32_t retry_in_minutes = 0);
  void RespondBencoded(const Asker& asker, Outcome outcome = Outcome::kOk);  // body_
  void RespondFullScrape(const Asker& asker);                                // full_scrape_
  void RespondInfoPage(const Asker& asker);                                  // info_page_
  void RespondText(const Asker& asker, int status, std::string_view text);
  void RespondHeadToAnnounce(const Asker& asker);  // 405: HEAD must not change a swarm
  void RespondMetrics(const Asker& asker);
  // Records the answer in the metrics under the asker's route and latency.
  void Send(const Asker& asker, HttpResponse& response, Outcome outcome);

  const FrontendSettings& settings_;
  AnnounceInterval interval_;
  const Clock& clock_;
  AnnounceOptions announce_options_;
  // Reused for every request, so parsing allocates nothing.
  ParsedAnnounce parsed_announce_;
  std::vector<InfoHash> parsed_scrape_;
  std::vector<InfoHash> served_scrape_;                  // AnswerRefused's result, reused
  std::vector<const proto::ScrapeEntry*> scrape_order_;  // WriteScrapeReply's scratch
  ReusedReply full_scrape_;
  std::string full_scrape_gzipped_;  // made when first asked for; empty until then
  std::uint64_t full_scrapes_truncated_ = 0;
  LogThrottle truncated_log_;
  ReusedReply info_page_;  // only a page from every shard: one missing a shard says so
  // Shared fan-outs (shared_fan_out.h). /readyz is neither limited nor cached (balancers ask it
  // often): a flood of it would fill the shards' queues (--max-pending-per-shard) and turn
  // announces away. An info page past its cache had every shard walk its table once for each.
  SharedFanOut full_scrape_sharing_;
  SharedFanOut info_page_sharing_;
  SharedFanOut readyz_sharing_;
  std::vector<Asker> finished_waiters_;  // SharedFanOut::Finish's, reused: no allocation
  HttpServer* http_ = nullptr;
  ShardRouter* router_ = nullptr;
  FrontendMetrics* metrics_ = nullptr;
  Admission admission_;
  bool metrics_elsewhere_ = false;
  bool draining_ = false;
  Slab<Exchange> exchanges_;
  std::string body_;  // reused reply buffer
};

}  // namespace shardtrack

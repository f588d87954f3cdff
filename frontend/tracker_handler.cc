#include "frontend/tracker_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/http/gzip.h"
#include "common/metrics.h"
#include "common/node_pool.h"
#include "common/return_freed_memory.h"
#include "frontend/info_page.h"
#include "frontend/scrape_request.h"
#include "frontend/tracker_replies.h"
#include "frontend/tracker_route.h"
#include "proto/message_reuse.h"

namespace shardtrack {

namespace {
constexpr std::string_view kBencodeType = "text/plain";
constexpr std::string_view kHtmlType = "text/html; charset=utf-8";
constexpr std::string_view kAnnounceMethods = "GET";
constexpr HttpHeaderField kAnnounceAllows[] = {{"Allow", kAnnounceMethods}};
// A full scrape this large leaves enough in the heap to hand back (ReturnFreedMemory); a smaller
// one (every one at the default --max-output-bytes) too little to pay for the heap's walk.
constexpr std::size_t kLargeFullScrapeBytes = 1 << 20;

void AddTotals(proto::StatsReply& into, const proto::StatsReply& from) {
  into.set_torrents(into.torrents() + from.torrents());
  into.set_peers(into.peers() + from.peers());
  into.set_seeders(into.seeders() + from.seeders());
  into.set_leechers(into.leechers() + from.leechers());
  into.set_completed(into.completed() + from.completed());
  into.set_partial_seeds(into.partial_seeds() + from.partial_seeds());
  for (const auto& entry : from.top()) *into.add_top() = entry;
}
}  // namespace

TrackerHandler::TrackerHandler(const FrontendSettings& settings, AnnounceOptions announce_options,
                               const Clock& clock)
    : settings_(settings),
      interval_(IntervalOf(settings)),
      clock_(clock),
      announce_options_(announce_options) {}

void TrackerHandler::Attach(HttpServer& http, ShardRouter& router) {
  http_ = &http;
  router_ = &router;
}

std::string_view TrackerHandler::AllowedMethods(std::string_view path) const {
  return RouteOfPath(path, {}).route == kAnnounceRoute ? kAnnounceMethods : kGetOrHead;
}

void TrackerHandler::OnRequest(ResponseSlot slot, const HttpRequest& request,
                               const IpAddress& client) {
  const PasskeyPath path = RouteOfPath(request.path(), request.query());
  const Asker asker{slot, RouteNamed(path.route), clock_.Now(),
                    request.accepts_gzip && settings_.full_scrape_gzip};
  switch (asker.route) {
    case Route::kAnnounce:
      if (request.method == HttpMethod::kHead) return RespondHeadToAnnounce(asker);
      if (Admit(asker, client, path.passkey)) {
        HandleAnnounce(asker, request.query(), client, path.passkey);
      }
      return;
    case Route::kScrape:
      if (Admit(asker, client, path.passkey)) HandleScrape(asker, request.query());
      return;
    case Route::kInfoPage:
      if (!Admit(asker, client)) return;
      if (Reusable(info_page_, settings_.info_page_cache, asker.started)) {
        return RespondInfoPage(asker);
      }
      return AskEveryShard(asker);
    case Route::kReadyz:
      if (draining_) return RespondText(asker, 503, "not ready: draining\n");
      return AskEveryShard(asker);
    case Route::kServing:
      // A balancer's check: a shard that is down is every frontend's, so taking frontends out for
      // it would turn its torrents' "retry in" into the balancer's 503 for every torrent.
      if (draining_) return RespondText(asker, 503, "not serving: draining\n");
      return RespondText(asker, 200, "serving\n");
    case Route::kHealthz:
      return RespondText(asker, 200, "ok\n");
    case Route::kMetrics:
      return RespondMetrics(asker);
    case Route::kOther:
      return RespondText(asker, 404, "not found\n");
  }
}

PasskeyPath TrackerHandler::RouteOfPath(std::string_view path, std::string_view query) const {
  if (admission_.members_only()) return FindPasskey(path, query);
  return {TrackerRouteOf(path).value_or(path), {}};
}

Route TrackerHandler::RouteNamed(std::string_view path) const {
  if (path == kAnnounceRoute) return Route::kAnnounce;
  if (path == kScrapeRoute) return Route::kScrape;
  if (path == "/") return Route::kInfoPage;
  if (path == "/readyz") return Route::kReadyz;
  if (path == "/serving") return Route::kServing;
  if (path == "/healthz") return Route::kHealthz;
  if (path == "/metrics" && metrics_ != nullptr && !metrics_elsewhere_) return Route::kMetrics;
  return Route::kOther;
}

bool TrackerHandler::Admit(const Asker& asker, const IpAddress& client, std::string_view passkey) {
  if (!admission_.AdmitsAddress(client)) {
    Refuse(asker, 403, kAddressRefusedReason);
    return false;
  }
  if (!admission_.WithinRate(client, asker.started)) {
    Refuse(asker, 429, kOverRateReason, settings_.retry_in);
    return false;
  }
  if (asker.route == Route::kInfoPage) return true;
  const std::string_view refused = admission_.MemberRefusal(passkey);
  if (!refused.empty()) RespondFailure(asker, refused);
  return refused.empty();
}

void TrackerHandler::HandleAnnounce(const Asker& asker, std::string_view query,
                                    const IpAddress& client, std::string_view passkey) {
  ParsedAnnounce& parsed = parsed_announce_;
  if (Status status = ParseAnnounce(query, client, announce_options_, parsed); !status) {
    return RespondFailure(asker, status.error());
  }
  auto info_hash = InfoHash::FromRaw(parsed.request.info_hash());
  const std::string_view refused = admission_.AnnounceRefusal(parsed.request.peer_id(), *info_hash);
  if (!refused.empty()) return RespondFailure(asker, refused);
  // A member's: the shard credits the transfer to it.
  if (!passkey.empty()) parsed.request.set_passkey(passkey.data(), passkey.size());
  const std::uint32_t index = NewExchange(asker);
  if (!router_->AddAnnounce(*info_hash, parsed.request, index)) {
    exchanges_.Release(index);
    return RespondFailure(asker, kShardBusyReason, settings_.retry_in);
  }
  Exchange& exchange = exchanges_[index];
  exchange.outstanding = 1;
  exchange.compact = parsed.compact;
  exchange.no_peer_id = parsed.no_peer_id;
  exchange.client = client;
}

void TrackerHandler::HandleScrape(const Asker& asker, std::string_view query) {
  std::vector<InfoHash>& hashes = parsed_scrape_;
  if (Status status = ParseScrape(query, settings_.max_scrape_hashes, hashes); !status) {
    return RespondFailure(asker, status.error());
  }
  if (hashes.empty()) {
    if (!settings_.full_scrape) return RespondFailure(asker, "full scrape is disabled");
    if (Reusable(full_scrape_, settings_.full_scrape_cache, asker.started)) {
      return RespondFullScrape(asker);
    }
    return AskEveryShard(asker);
  }
  const std::uint32_t index = NewExchange(asker);
  const std::span<const InfoHash> served = AnswerRefused(hashes, exchanges_[index].scrape);
  const ShardRouter::Fanout fanout = router_->AddScrape(served, index);
  if (fanout.refused) {
    exchanges_[index].failure = kShardBusyReason;
    exchanges_[index].retry_in_minutes = settings_.retry_in;
  }
  exchanges_[index].outstanding = fanout.requests;
  if (fanout.requests == 0) Finish(index);
}

std::span<const InfoHash> TrackerHandler::AnswerRefused(const std::vector<InfoHash>& hashes,
                                                        proto::ScrapeReply& reply) {
  if (admission_.torrents == nullptr) return hashes;
  return admission_.torrents->AdmitScrape(
      hashes, served_scrape_, [&reply](const InfoHash& refused) {
        proto::ScrapeEntry& unknown = *reply.add_files();  // all zeros, as a shard answers it
        unknown.set_info_hash(refused.bytes.data(), InfoHash::kSize);
        unknown.set_downloaders(0);
      });
}

bool TrackerHandler::Serves(const proto::ScrapeEntry& entry) const {
  if (admission_.torrents == nullptr) return true;
  auto info_hash = InfoHash::FromRaw(entry.info_hash());
  return !info_hash || admission_.torrents->Serves(*info_hash);
}

void TrackerHandler::Name(proto::ScrapeEntry& entry) const {
  if (admission_.torrents == nullptr || !admission_.torrents->names_torrents()) return;
  auto info_hash = InfoHash::FromRaw(entry.info_hash());
  if (!info_hash) return;
  const std::string_view name = admission_.torrents->NameOf(*info_hash);
  if (!name.empty()) entry.set_name(name.data(), name.size());
}

std::size_t TrackerHandler::LongestName() const {
  return admission_.torrents != nullptr ? admission_.torrents->longest_name() : 0;
}

std::uint64_t TrackerHandler::AccessListVersion() const {
  return admission_.torrents != nullptr ? admission_.torrents->reloads().ok : 0;
}

void TrackerHandler::AskEveryShard(const Asker& asker) {
  SharedFanOut& sharing = *SharingOf(asker.route);
  if (sharing.CanWait(AccessListVersion())) return sharing.Wait(asker);
  if (sharing.under_way()) return sharing.Defer(asker);  // asked under an older list
  StartFanOut(asker);
}

void TrackerHandler::StartFanOut(const Asker& asker) {
  const Route kind = asker.route;
  std::uint32_t index = NewExchange(asker);
  // A reply to reuse is stamped with the list it was asked under, not the one in force when it
  // is gathered: a list that comes into force meanwhile makes it too old to reuse.
  exchanges_[index].list_version = AccessListVersion();
  exchanges_[index].full_scrape = kind == Route::kScrape;
  SharingOf(kind)->Start(exchanges_[index].list_version);
  for (std::uint32_t shard = 0; shard < router_->shard_count(); ++shard) {
    proto::Request* request = router_->Add(shard, index);
    if (request == nullptr) {
      exchanges_[index].failure = kShardBusyReason;
      exchanges_[index].retry_in_minutes = settings_.retry_in;
      continue;
    }
    ++exchanges_[index].outstanding;
    if (kind == Route::kScrape) {
      request->mutable_scrape()->set_full(true);
      request->mutable_scrape()->set_limit(FullScrapeLimitPerShard(settings_, LongestName()));
    } else {
      request->mutable_stats()->set_max_torrents(
          kind == Route::kReadyz ? 0 : TopRowsAskedOfEachShard());
    }
  }
  if (exchanges_[index].outstanding == 0) Finish(index);
}

void TrackerHandler::OnShardReply(ShardRouter::Token token, const proto::Reply& reply) {
  auto index = static_cast<std::uint32_t>(token);
  Exchange& exchange = exchanges_[index];
  if (!reply.failure().empty()) {
    if (exchange.failure.empty()) {
      exchange.failure = reply.failure();
      exchange.retry_in_minutes = reply.retry_later() ? settings_.retry_in : 0;
    }
    exchange.misrouted = exchange.misrouted || reply.misrouted();
  } else {
    ++exchange.shards_answered;
    if (exchange.asker.route == Route::kAnnounce) {
      FinishAnnounce(exchange, reply.announce());
    } else if (exchange.asker.route == Route::kScrape) {
      for (const auto& entry : reply.scrape().files()) {
        if (exchange.full_scrape && !Serves(entry)) continue;
        proto::ScrapeEntry& file = *exchange.scrape.add_files();
        file = entry;
        Name(file);
      }
      if (reply.scrape().truncated()) exchange.scrape.set_truncated(true);
    } else {
      AddTotals(exchange.stats, reply.stats());
    }
  }
  if (--exchange.outstanding == 0) Finish(index);
}

void TrackerHandler::Finish(std::uint32_t index) {
  Exchange& exchange = exchanges_[index];
  switch (exchange.asker.route) {
    case Route::kAnnounce:
      if (!exchange.failure.empty()) {
        RespondFailure(exchange.asker, exchange.failure, exchange.retry_in_minutes);
      }
      break;  // a successful announce was answered on arrival
    case Route::kScrape:
      if (exchange.full_scrape) {
        FinishFullScrape(exchange);
      } else {
        FinishScrape(exchange);
      }
      break;
    case Route::kInfoPage:
      FinishInfoPage(exchange);
      break;
    case Route::kReadyz:
      FinishReady(exchange);
      break;
    default:
      break;
  }
  exchanges_.Release(index);
}

void TrackerHandler::FinishAnnounce(const Exchange& exchange, const proto::AnnounceReply& reply) {
  body_.clear();
  AnnounceReplyOptions options;
  options.compact = exchange.compact;
  options.want_peer_ids = !exchange.no_peer_id;
  options.interval = interval_.Next();
  options.min_interval = settings_.min_interval;
  options.external_ip = exchange.client;
  WriteAnnounceReply(reply, options, body_);
  RespondBencoded(exchange.asker);
}

// A scrape of named torrents is answered with what the shards that replied know, leaving out the
// torrents of one that is down or busy, unless it met a misrouted shard (the cluster is
// misconfigured, which is not to pass unseen). When no shard answered: the failure.
void TrackerHandler::FinishScrape(const Exchange& exchange) {
  const bool partial = !exchange.misrouted && exchange.shards_answered > 0;
  if (!exchange.failure.empty() && !partial) {
    return RespondFailure(exchange.asker, exchange.failure, exchange.retry_in_minutes);
  }
  body_.clear();
  WriteScrapeReply(exchange.scrape.files(), scrape_order_, body_);
  RespondBencoded(exchange.asker);
}

// A full scrape is all or nothing, so that no one takes part of the list for the whole.
void TrackerHandler::FinishFullScrape(Exchange& exchange) {
  if (!exchange.failure.empty()) {
    return AnswerAll(exchange, [&](const Asker& asker) {
      RespondFailure(asker, exchange.failure, exchange.retry_in_minutes);
    });
  }
  body_.clear();
  WriteScrapeReply(exchange.scrape.files(), scrape_order_, body_);
  if (exchange.scrape.truncated()) NoteTruncatedFullScrape(exchange.asker.started);
  exchange.scrape = proto::ScrapeReply();  // Clear() would keep its entries in the slot
  full_scrape_.body.swap(body_);
  ClearForReuse(body_);  // the last full scrape's buffer, swapped in
  full_scrape_gzipped_.clear();
  full_scrape_.asked = exchange.asker.started;
  full_scrape_.list_version = exchange.list_version;
  const bool large = full_scrape_.body.size() >= kLargeFullScrapeBytes;
  AnswerAll(exchange, [this](const Asker& asker) { RespondFullScrape(asker); });
  if (settings_.full_scrape_cache == 0) {  // never reused: not kept either
    std::string().swap(full_scrape_.body);
    std::string().swap(full_scrape_gzipped_);
  }
  if (large) ReturnFreedMemory();  // what its copies left in the heap
}

void TrackerHandler::NoteTruncatedFullScrape(MonoTime asked) {
  ++full_scrapes_truncated_;
  if (!truncated_log_.Due(asked)) return;
  spdlog::warn(
      "a full scrape listed only {} torrents of a shard that holds more ({} such scrapes so far; "
      "at most one such line a minute): raise --full-scrape-limit and --max-output-bytes to list "
      "them all",
      FullScrapeLimitPerShard(settings_, LongestName()), full_scrapes_truncated_);
}

SharedFanOut* TrackerHandler::SharingOf(Route route) {
  switch (route) {
    case Route::kScrape:  // a fan-out's: a full scrape
      return &full_scrape_sharing_;
    case Route::kInfoPage:
      return &info_page_sharing_;
    case Route::kReadyz:
      return &readyz_sharing_;
    default:
      return nullptr;
  }
}

template <typename Answer>
void TrackerHandler::AnswerAll(const Exchange& exchange, Answer answer) {
  answer(exchange.asker);
  SharedFanOut& sharing = *SharingOf(exchange.asker.route);
  sharing.Finish(finished_waiters_);
  for (const Asker& waiter : finished_waiters_) answer(waiter);
  // Last: asking may start (and, with every shard refused, finish) another fan-out, whose slot
  // can move `exchange`.
  for (const Asker& deferred : sharing.TakeDeferred()) AskEveryShard(deferred);
}

void TrackerHandler::FinishInfoPage(Exchange& exchange) {
  auto& top = *exchange.stats.mutable_top();
  top.erase(std::remove_if(top.begin(), top.end(), [this](const auto& e) { return !Serves(e); }),
            top.end());
  auto peers = [](const proto::ScrapeEntry& e) { return e.complete() + e.incomplete(); };
  std::sort(top.begin(), top.end(), [&](const auto& a, const auto& b) {  // as each shard ranks
    return peers(a) != peers(b) ? peers(a) > peers(b) : a.info_hash() < b.info_hash();
  });
  const std::uint32_t rows = InfoPageTorrents();
  if (top.size() > static_cast<int>(rows)) {
    top.DeleteSubrange(rows, top.size() - rows);
  }
  for (proto::ScrapeEntry& entry : top) Name(entry);
  // The status line and headers take a few hundred bytes of --max-output-bytes.
  const std::size_t body_bytes =
      settings_.max_output_bytes - std::min<std::size_t>(settings_.max_output_bytes, 512);
  info_page_.body =
      RenderInfoPage(exchange.stats, exchange.shards_answered, router_->shard_count(), body_bytes);
  info_page_.asked.reset();
  if (exchange.shards_answered == router_->shard_count()) info_page_.asked = exchange.asker.started;
  info_page_.list_version = exchange.list_version;
  exchange.stats = proto::StatsReply();  // Clear() would keep its rows in the slot
  AnswerAll(exchange, [this](const Asker& asker) { RespondInfoPage(asker); });
}

void TrackerHandler::FinishReady(const Exchange& exchange) {
  // Draining may have begun since it was asked: a balancer must not be told to send more.
  const bool ready = exchange.shards_answered == router_->shard_count() && !draining_;
  const std::string text = ready       ? "ready\n"
                           : draining_ ? "not ready: draining\n"
                                       : "not ready: " + exchange.failure + "\n";
  AnswerAll(exchange, [&](const Asker& asker) { RespondText(asker, ready ? 200 : 503, text); });
}

std::uint32_t TrackerHandler::NewExchange(const Asker& asker) {
  const std::uint32_t index = exchanges_.Acquire();
  Exchange& exchange = exchanges_[index];
  exchange.asker = asker;
  exchange.outstanding = 0;
  exchange.compact = true;
  exchange.full_scrape = false;
  exchange.list_version = 0;
  exchange.no_peer_id = false;
  exchange.client = {};
  exchange.failure.clear();
  exchange.retry_in_minutes = 0;
  exchange.misrouted = false;
  ClearMessageForReuse(exchange.scrape);
  ClearMessageForReuse(exchange.stats);
  exchange.shards_answered = 0;
  return index;
}

void TrackerHandler::Refuse(const Asker& asker, int page_status, std::string_view reason,
                            std::uint32_t retry_in_minutes) {
  if (asker.route == Route::kInfoPage) {
    return RespondText(asker, page_status, std::string(reason) + "\n");
  }
  RespondFailure(asker, reason, retry_in_minutes);
}

void TrackerHandler::RespondFailure(const Asker& asker, std::string_view reason,
                                    std::uint32_t retry_in_minutes) {
  body_.clear();
  if (retry_in_minutes > 0) {
    WriteFailure(reason, retry_in_minutes, body_);
  } else {
    WriteFailure(reason, body_);
  }
  RespondBencoded(asker, Outcome::kFailure);
}

void TrackerHandler::RespondBencoded(const Asker& asker, Outcome outcome) {
  HttpResponse response;
  response.content_type = kBencodeType;
  response.body = body_;
  Send(asker, response, outcome);
}

void TrackerHandler::RespondFullScrape(const Asker& asker) {
  static constexpr HttpHeaderField kVary[] = {{"Vary", "Accept-Encoding"}};
  static constexpr HttpHeaderField kGzipped[] = {{"Content-Encoding", "gzip"},
                                                 {"Vary", "Accept-Encoding"}};
  HttpResponse response;
  response.content_type = kBencodeType;
  response.body = full_scrape_.body;
  if (settings_.full_scrape_gzip) response.extra_headers = kVary;
  // Gzip never writes an empty result, so empty means "not made yet".
  if (asker.gzip &&
      (!full_scrape_gzipped_.empty() || Gzip(full_scrape_.body, full_scrape_gzipped_))) {
    response.body = full_scrape_gzipped_;
    response.extra_headers = kGzipped;
  }
  Send(asker, response, Outcome::kOk);
}

void TrackerHandler::RespondInfoPage(const Asker& asker) {
  HttpResponse response;
  response.content_type = kHtmlType;
  response.body = info_page_.body;
  Send(asker, response, Outcome::kOk);
}

void TrackerHandler::RespondText(const Asker& asker, int status, std::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = text;
  Send(asker, response, status == 200 ? Outcome::kOk : Outcome::kError);
}

// HEAD is a safe method (RFC 9110 section 9.2.1): a link checker or a monitoring probe that
// sends one must not join a swarm, and the answer to a GET cannot be known without joining.
void TrackerHandler::RespondHeadToAnnounce(const Asker& asker) {
  HttpResponse response;
  response.status = 405;
  response.body = "an announce changes its swarm: use GET\n";
  response.extra_headers = kAnnounceAllows;
  Send(asker, response, Outcome::kError);
}

void TrackerHandler::RespondMetrics(const Asker& asker) {
  body_ = metrics_->registry().Render();
  HttpResponse response;
  response.content_type = kMetricsContentType;
  response.body = body_;
  Send(asker, response, Outcome::kOk);
}

void TrackerHandler::Send(const Asker& asker, HttpResponse& response, Outcome outcome) {
  if (metrics_ != nullptr) metrics_->Record(asker.route, outcome, asker.started);
  response.close = response.close || draining_;
  http_->Respond(asker.slot, response);
}

}  // namespace shardtrack

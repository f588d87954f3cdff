// TrackerHandler's answers that need no shard, over a real HttpServer on a loopback port: the
// health checks (/healthz, /serving, /readyz while draining) and the connection close of every
// answer while draining, 404s, /metrics before and after AttachMetrics and when served
// elsewhere, announces and scrapes refused for a malformed query, and the admission checks (an
// access list, passkeys, an IP list, a client request limiter), and HEAD requests. Each
// request here is answered before a shard would be asked: the ShardRouter points at an endpoint
// nothing listens on, and the tests check that it was never given a request.
// Left to the integration tests (tests/integration/), which start real shards: announces and
// scrapes answered by a shard, full scrapes and their cache and gzip, the info page's totals,
// /readyz while not draining, and shards that fail, time out or are misrouted.
#include "frontend/tracker_handler.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "tests/unit/frontend/loopback_connect.h"

namespace shardtrack {
namespace {

using namespace std::chrono_literals;

constexpr const char* kClient = "127.0.0.1";
constexpr const char* kOtherClient = "127.0.0.3";

// Twenty bytes that need no escape in a query.
constexpr std::string_view kHash = "aaaaaaaaaaaaaaaaaaaa";
constexpr std::string_view kOtherHash = "cccccccccccccccccccc";
constexpr std::string_view kQuery =
    "info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-XX0001-bbbbbbbbbbbb&port=6881&uploaded=0&"
    "downloaded=0&left=0";
constexpr std::string_view kScrapeQuery = "info_hash=aaaaaaaaaaaaaaaaaaaa";

std::string Target(std::string_view path, std::string_view query) {
  return std::string(path) + "?" + std::string(query);
}

InfoHash HashOf(std::string_view raw) { return *InfoHash::FromRaw(raw); }

// An answer as HttpServer writes it: Answer("ok\n").Bytes(), Answer(..., "404 Not Found").
class Answer {
 public:
  explicit Answer(std::string_view body, std::string_view status = "200 OK")
      : body_(body), status_(status) {}

  Answer Closing() const { return With(&Answer::close_, true); }
  // To a HEAD: the GET's Content-Length and no body.
  Answer ToHead() const { return With(&Answer::head_, true); }
  Answer WithHeader(std::string_view line) const { return With(&Answer::extra_, line); }

  std::string Bytes() const {
    std::string out = "HTTP/1.1 " + std::string(status_) +
                      "\r\nContent-Type: " + std::string(type_) +
                      "\r\nContent-Length: " + std::to_string(body_.size()) +
                      "\r\nConnection: " + (close_ ? "close" : "keep-alive");
    if (!extra_.empty()) out += "\r\n" + std::string(extra_);
    out += "\r\n\r\n";
    if (!head_) out += body_;
    return out;
  }

 private:
  template <typename Field, typename Value>
  Answer With(Field Answer::*field, Value value) const {
    Answer copy = *this;
    copy.*field = value;
    return copy;
  }

  std::string body_;
  std::string_view status_;
  std::string_view type_ = "text/plain";
  std::string_view extra_;
  bool close_ = false;
  bool head_ = false;
};

std::string Failure(std::string_view reason) {
  return "d14:failure reason" + std::to_string(reason.size()) + ":" + std::string(reason) + "e";
}

std::string Failure(std::string_view reason, std::uint32_t retry_in_minutes) {
  return "d14:failure reason" + std::to_string(reason.size()) + ":" + std::string(reason) +
         "8:retry ini" + std::to_string(retry_in_minutes) + "ee";
}

// The whole answer to a tracker request refused for `reason`.
std::string FailureAnswer(std::string_view reason) { return Answer(Failure(reason)).Bytes(); }

Answer NotFound() { return Answer("not found\n", "404 Not Found"); }
Answer NotServing() { return Answer("not serving: draining\n", "503 Service Unavailable"); }

// A scrape's answer for torrents no shard was asked about: zero counts each.
std::string UnknownTorrents(const std::vector<std::string_view>& hashes) {
  std::string out = "d5:filesd";
  for (std::string_view hash : hashes) {
    out += "20:" + std::string(hash) +
           "d8:completei0e10:downloadedi0e11:downloadersi0e10:incompletei0ee";
  }
  return out + "ee";
}

// Whether `bytes` hold a whole answer: its head and, unless to a HEAD, its body.
bool WholeAnswer(const std::string& bytes, bool head) {
  const std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::size_t at = bytes.find("Content-Length: ");
  if (at == std::string::npos || at > end) return true;  // the comparison will show it
  return head || bytes.size() >= end + 4 + std::stoul(bytes.substr(at + 16));
}

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

std::string RequestsTotal(std::string_view route, std::string_view outcome, int count) {
  return "shardtrack_http_requests_total{route=\"" + std::string(route) + "\",outcome=\"" +
         std::string(outcome) + "\"} " + std::to_string(count);
}

class TrackerHandlerTest : public ::testing::Test {
 protected:
  TrackerHandlerTest() {
    handler_.Attach(http_, router_);
    const Status listening = http_.Listen();
    EXPECT_TRUE(listening) << listening.error();
  }
  ~TrackerHandlerTest() override {
    for (int fd : fds_) ::close(fd);
  }

  // A connection from `source` (127.0.0.x), made non-blocking so reads can interleave with
  // loop turns.
  int Connect(const char* source = kClient) {
    const int fd = ConnectFrom(source, http_.port());
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fds_.push_back(fd);
    return fd;
  }

  // Sends `method target` on `fd` and returns the answer.
  std::string Ask(int fd, std::string_view method, std::string_view target) {
    const std::string request =
        std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    const bool head = method == "HEAD";
    return Pump(fd, [head](const std::string& bytes) { return WholeAnswer(bytes, head); }).bytes;
  }

  // One request on a connection of its own from `source`.
  std::string Get(std::string_view target, const char* source = kClient) {
    return Ask(Connect(source), "GET", target);
  }
  std::string Head(std::string_view target) { return Ask(Connect(), "HEAD", target); }
  // Attaches `access` as the only admission check.
  void AdmitOnly(TorrentAccess& access) {
    Admission admission;
    admission.torrents = &access;
    handler_.AttachAdmission(admission);
  }

  // Whether the server closes `fd`, all of whose answers were read.
  bool ClosedByServer(int fd) {
    return Pump(fd, [](const std::string&) { return false; }).closed;
  }

  void ExpectNoShardAsked() const {
    const ShardRouter::ShardCounters counters = router_.counters(0);
    EXPECT_EQ(counters.pending, 0u);
    EXPECT_EQ(counters.sent, 0u);
    EXPECT_EQ(counters.unavailable, 0u);
  }

  FrontendSettings settings_;
  FakeClock clock_;  // the handler's: the time the request limiter counts in
  MetricsRegistry registry_;
  FrontendMetrics metrics_{registry_, clock_};
  TrackerHandler handler_{settings_, AnnounceOptions{}, clock_};

 private:
  static HttpServerOptions Loopback() {
    HttpServerOptions options;
    options.tcp.bind_address = "127.0.0.1";
    options.tcp.port = 0;
    return options;
  }

  // Turns the loop and reads `fd` until `done(bytes)` holds or the server closed it, for at most
  // a few seconds so that a bug fails the test instead of hanging it.
  Received Pump(int fd, const std::function<bool(const std::string&)>& done) {
    Received received;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done(received.bytes) && !received.closed &&
           std::chrono::steady_clock::now() < deadline) {
      loop_.RunOnce(5ms);
      ReadAvailable(fd, received);
    }
    return received;
  }

  SystemClock loop_clock_;  // the server's timeouts
  EventLoop loop_{loop_clock_};
  HttpServer http_{loop_, Loopback(), handler_};
  // Never reached by these tests: each answer is given before a shard would be asked.
  zmq::context_t context_{1};
  ShardRouter router_{loop_, context_, {"tcp://127.0.0.1:1"}, {}, handler_};
  std::vector<int> fds_;
};

// Health checks and draining.

TEST_F(TrackerHandlerTest, HealthzAnswersOk) { EXPECT_EQ(Get("/healthz"), Answer("ok\n").Bytes()); }

TEST_F(TrackerHandlerTest, ServingAnswersOkUntilDrainingThen503AndCloses) {
  const int fd = Connect();
  EXPECT_EQ(Ask(fd, "GET", "/serving"), Answer("serving\n").Bytes());
  handler_.SetDraining();
  EXPECT_EQ(Ask(fd, "GET", "/serving"), NotServing().Closing().Bytes());
  EXPECT_TRUE(ClosedByServer(fd));
}

TEST_F(TrackerHandlerTest, ReadyzFailsWhileDrainingWithoutAskingAShard) {
  handler_.SetDraining();
  const int fd = Connect();
  EXPECT_EQ(Ask(fd, "GET", "/readyz"),
            Answer("not ready: draining\n", "503 Service Unavailable").Closing().Bytes());
  EXPECT_TRUE(ClosedByServer(fd));
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerTest, EveryAnswerClosesItsConnectionWhileDraining) {
  handler_.SetDraining();
  const std::vector<std::pair<std::string_view, Answer>> cases = {
      {"/healthz", Answer("ok\n")},
      {"/nope", NotFound()},
      {"/announce", Answer(Failure("missing info_hash"))},
  };
  for (const auto& [target, answer] : cases) {
    const int fd = Connect();
    EXPECT_EQ(Ask(fd, "GET", target), answer.Closing().Bytes()) << target;
    EXPECT_TRUE(ClosedByServer(fd)) << target;
  }
}

// Unknown paths and /metrics.

TEST_F(TrackerHandlerTest, AnswersAnUnknownPathWith404) {
  EXPECT_EQ(Get("/nope"), NotFound().Bytes());
  EXPECT_EQ(Get("/healthz/more"), NotFound().Bytes());
  EXPECT_EQ(Get("/key/announce"), NotFound().Bytes());  // a passkey's path, with passkeys off
}

TEST_F(TrackerHandlerTest, MetricsIsNotFoundBeforeAttachMetrics) {
  EXPECT_EQ(Get("/metrics"), NotFound().Bytes());
}

TEST_F(TrackerHandlerTest, MetricsIsNotFoundWhenServedElsewhere) {
  handler_.AttachMetrics(metrics_);
  handler_.ServeMetricsElsewhere();
  EXPECT_EQ(Get("/metrics"), NotFound().Bytes());
}

TEST_F(TrackerHandlerTest, ServesThePrometheusTextOnceMetricsAreAttached) {
  handler_.AttachMetrics(metrics_);
  Get("/healthz");
  Get("/nope");
  const std::string answer = Get("/metrics");
  EXPECT_TRUE(answer.starts_with(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
      << answer;
  EXPECT_TRUE(HasLine(answer, RequestsTotal("healthz", "ok", 1))) << answer;
  EXPECT_TRUE(HasLine(answer, RequestsTotal("other", "error", 1)));
  EXPECT_TRUE(HasLine(answer, RequestsTotal("metrics", "ok", 0)));  // rendered before counted
  EXPECT_TRUE(HasLine(Get("/metrics"), RequestsTotal("metrics", "ok", 1)));
}

// Malformed tracker requests: a bencoded failure reason naming the field.

TEST_F(TrackerHandlerTest, AnAnnounceWithAMalformedQueryGetsAFailureNamingTheField) {
  const std::vector<std::pair<std::string, std::string_view>> cases = {
      {"peer_id=-XX0001-bbbbbbbbbbbb&port=6881&uploaded=0&downloaded=0&left=0",
       "missing info_hash"},
      {"info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-XX0001-bbbbbbbbbbbb&port=0&uploaded=0&"
       "downloaded=0&left=0",
       "invalid port: must be 1..65535"},
      {"info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-XX0001-bbbbbbbbbbbb&port=65536&uploaded=0&"
       "downloaded=0&left=0",
       "invalid port: must be 1..65535"},
      {"info_hash=0123456789abcdef0123456789abcdef01234567&peer_id=-XX0001-bbbbbbbbbbbb&"
       "port=6881&uploaded=0&downloaded=0&left=0",
       "invalid info_hash: must be 20 bytes, not 40 hex digits: percent-encode each byte "
       "(%12%34...)"},
  };
  for (const auto& [query, reason] : cases) {
    EXPECT_EQ(Get(Target("/announce", query)), FailureAnswer(reason)) << query;
  }
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerTest, AMalformedScrapeGetsAFailure) {
  settings_.full_scrape = false;
  EXPECT_EQ(Get("/scrape"), FailureAnswer("full scrape is disabled"));
  EXPECT_EQ(Get("/scrape?info_hash=short"), FailureAnswer("invalid info_hash: must be 20 bytes"));
  ExpectNoShardAsked();
}

// Admission: the access list.

TEST_F(TrackerHandlerTest, AnAccessListRefusesAnAnnounceOfATorrentNotListed) {
  TorrentAccess access(AccessMode::kAllow, AccessList({HashOf(kOtherHash)}));
  AdmitOnly(access);
  EXPECT_EQ(Get(Target("/announce", kQuery)), FailureAnswer(kNotServedReason));
  EXPECT_EQ(access.counters().refused_announces, 1u);
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerTest, AScrapeOfRefusedTorrentsIsAnsweredAsUnknownWithoutAShard) {
  TorrentAccess access(AccessMode::kDeny, AccessList({HashOf(kHash), HashOf(kOtherHash)}));
  AdmitOnly(access);
  const std::string query =
      "info_hash=" + std::string(kOtherHash) + "&info_hash=" + std::string(kHash);
  EXPECT_EQ(Get(Target("/scrape", query)), Answer(UnknownTorrents({kHash, kOtherHash})).Bytes());
  EXPECT_EQ(access.counters().refused_scrapes, 2u);
  ExpectNoShardAsked();
}

// Admission: passkeys. Every torrent is refused, so a request past the passkey check gets the
// access list's answer, and no shard is asked.

class TrackerHandlerPasskeyTest : public TrackerHandlerTest {
 protected:
  TrackerHandlerPasskeyTest() {
    Admission admission;
    admission.passkeys = &passkeys_;
    admission.torrents = &refuse_every_torrent_;
    handler_.AttachAdmission(admission);
  }

  PasskeyAccess passkeys_{PasskeyList({"member-key"})};
  TorrentAccess refuse_every_torrent_{AccessMode::kAllow, AccessList()};
};

TEST_F(TrackerHandlerPasskeyTest, ARequestWithoutAListedPasskeyIsRefusedBeforeItIsParsed) {
  const std::string missing = FailureAnswer(kPasskeyMissingReason);
  EXPECT_EQ(Get(Target("/announce", kQuery)), missing);
  EXPECT_EQ(Get("/announce?port=0"), missing);
  EXPECT_EQ(Get(Target("/scrape", kScrapeQuery)), missing);
  EXPECT_EQ(Get(Target("/other-key/announce", kQuery)), FailureAnswer(kPasskeyUnknownReason));
  EXPECT_EQ(passkeys_.counters().refused_missing, 3u);
  EXPECT_EQ(passkeys_.counters().refused_unknown, 1u);
  EXPECT_EQ(refuse_every_torrent_.counters().refused_announces, 0u);
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerPasskeyTest, AMembersPasskeyIsTakenInEachOfItsForms) {
  const std::string not_served = FailureAnswer(kNotServedReason);
  EXPECT_EQ(Get(Target("/member-key/announce", kQuery)), not_served);
  EXPECT_EQ(Get(Target("/announce/member-key", kQuery)), not_served);
  EXPECT_EQ(Get(Target("/announce", "passkey=member-key&" + std::string(kQuery))), not_served);
  EXPECT_EQ(Get(Target("/member-key/scrape", kScrapeQuery)),
            Answer(UnknownTorrents({kHash})).Bytes());
  EXPECT_EQ(refuse_every_torrent_.counters().refused_announces, 3u);
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerPasskeyTest, TheHealthChecksNeedNoPasskey) {
  EXPECT_EQ(Get("/healthz"), Answer("ok\n").Bytes());
  EXPECT_EQ(Get("/serving"), Answer("serving\n").Bytes());
  EXPECT_EQ(passkeys_.counters().refused_missing, 0u);
}

// Admission: the IP list, which refuses 127.0.0.2.

class TrackerHandlerIpListTest : public TrackerHandlerTest {
 protected:
  static constexpr const char* kRefused = "127.0.0.2";

  TrackerHandlerIpListTest() { Admit(nullptr); }

  // Attaches the IP list, and `limiter` when not null.
  void Admit(ClientRequestLimiter* limiter) {
    Admission admission;
    admission.ips = &ips_;
    admission.limiter = limiter;
    handler_.AttachAdmission(admission);
  }

  IpAccess ips_{AccessMode::kDeny, *ParseIpList(kRefused)};
};

TEST_F(TrackerHandlerIpListTest, ARefusedAddressGetsAFailureAndItsInfoPageA403) {
  const std::string refused = FailureAnswer(kAddressRefusedReason);
  EXPECT_EQ(Get(Target("/announce", kQuery), kRefused), refused);
  EXPECT_EQ(Get(Target("/scrape", kScrapeQuery), kRefused), refused);
  EXPECT_EQ(Get("/", kRefused),
            Answer("your address is not allowed on this tracker\n", "403 Forbidden").Bytes());
  EXPECT_EQ(ips_.refused(), 3u);
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerIpListTest, AnAddressNotListedIsServed) {
  EXPECT_EQ(Get("/announce", kClient), FailureAnswer("missing info_hash"));
  EXPECT_EQ(ips_.refused(), 0u);
}

TEST_F(TrackerHandlerIpListTest, TheHealthChecksAndMetricsAnswerARefusedAddress) {
  handler_.AttachMetrics(metrics_);
  EXPECT_EQ(Get("/healthz", kRefused), Answer("ok\n").Bytes());
  EXPECT_EQ(Get("/serving", kRefused), Answer("serving\n").Bytes());
  EXPECT_TRUE(Get("/metrics", kRefused).starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_EQ(ips_.refused(), 0u);
}

TEST_F(TrackerHandlerIpListTest, ARefusedAddressIsNotCountedByTheRequestLimiter) {
  ClientRequestLimiter limiter(1, 1);
  Admit(&limiter);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get("/announce", kRefused), FailureAnswer(kAddressRefusedReason));
  }
  EXPECT_EQ(limiter.refusals(), 0u);
}

// Admission: the client request limiter, 1 request a second with a burst of 2, in the
// FakeClock's time.

class TrackerHandlerLimiterTest : public TrackerHandlerTest {
 protected:
  TrackerHandlerLimiterTest() {
    Admission admission;
    admission.limiter = &limiter_;
    handler_.AttachAdmission(admission);
  }

  // Spends the client's burst on announces that need no shard.
  void SpendTheBurst() {
    for (int i = 0; i < 2; ++i) EXPECT_EQ(Get("/announce"), FailureAnswer("missing info_hash"));
  }

  ClientRequestLimiter limiter_{1, 2};
};

TEST_F(TrackerHandlerLimiterTest, AClientOverItsRateGetsRetryInAndItsInfoPageA429) {
  SpendTheBurst();
  const std::string over = Answer(Failure(kOverRateReason, settings_.retry_in)).Bytes();
  EXPECT_EQ(Get("/announce"), over);
  EXPECT_EQ(Get(Target("/scrape", kScrapeQuery)), over);
  EXPECT_EQ(Get("/"),
            Answer("too many requests from your address, retry later\n", "429 Too Many Requests")
                .Bytes());
  EXPECT_EQ(limiter_.refusals(), 3u);
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerLimiterTest, EachClientHasItsOwnRateAndIsAdmittedAgainInTime) {
  SpendTheBurst();
  EXPECT_EQ(Get("/announce", kOtherClient), FailureAnswer("missing info_hash"));
  clock_.Advance(1s);
  EXPECT_EQ(Get("/announce"), FailureAnswer("missing info_hash"));
  EXPECT_EQ(limiter_.refusals(), 0u);
}

TEST_F(TrackerHandlerLimiterTest, TheHealthChecksAndMetricsAreNeverLimited) {
  handler_.AttachMetrics(metrics_);
  SpendTheBurst();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get("/healthz"), Answer("ok\n").Bytes());
    EXPECT_EQ(Get("/serving"), Answer("serving\n").Bytes());
    EXPECT_TRUE(Get("/metrics").starts_with("HTTP/1.1 200 OK\r\n"));
  }
  handler_.SetDraining();  // so that /readyz needs no shard
  EXPECT_TRUE(Get("/readyz").starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_EQ(limiter_.refusals(), 0u);
}

// HEAD.

TEST_F(TrackerHandlerTest, AHeadGetsTheHeadOfTheAnswerWithoutItsBody) {
  EXPECT_EQ(Head("/healthz"), Answer("ok\n").ToHead().Bytes());
  EXPECT_EQ(Head("/serving"), Answer("serving\n").ToHead().Bytes());
  EXPECT_EQ(Head("/nope"), NotFound().ToHead().Bytes());
  handler_.SetDraining();
  EXPECT_EQ(Head("/serving"), NotServing().Closing().ToHead().Bytes());
}

TEST_F(TrackerHandlerTest, AHeadOfAnAnnounceIsRefusedWith405) {
  EXPECT_EQ(Head(Target("/announce", kQuery)),
            Answer("an announce changes its swarm: use GET\n", "405 Method Not Allowed")
                .WithHeader("Allow: GET")
                .ToHead()
                .Bytes());
  ExpectNoShardAsked();
}

TEST_F(TrackerHandlerTest, AHeadOfAScrapeGetsTheHeadOfItsAnswer) {
  TorrentAccess access(AccessMode::kDeny, AccessList({HashOf(kHash)}));
  AdmitOnly(access);
  EXPECT_EQ(Head(Target("/scrape", kScrapeQuery)),
            Answer(UnknownTorrents({kHash})).ToHead().Bytes());
  ExpectNoShardAsked();
}

}  // namespace
}  // namespace shardtrack

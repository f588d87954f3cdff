#include "frontend/frontend_runtime.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <optional>

#include "common/curve_setup.h"
#include "common/ip_address.h"
#include "common/metrics_http_server.h"
#include "common/open_file_limit.h"
#include "common/process_metrics.h"
#include "common/reactor/socket_util.h"
#include "common/reactor/udp_socket.h"
#include "common/routing.h"
#include "common/secret_permissions.h"
#include "common/zmq_endpoint.h"
#include "frontend/client_address.h"
#include "frontend/frontend_metrics.h"
#include "frontend/http_server.h"
#include "frontend/list_files.h"
#include "frontend/shard_reply_demux.h"
#include "frontend/shard_router.h"
#include "frontend/tracker_handler.h"
#include "frontend/udp/udp_secret_file.h"
#include "frontend/udp_tracker_handler.h"

namespace shardtrack {
namespace {

// On SIGTERM a frontend stops accepting, answers what is in flight, then exits once the answers
// have left: how often it looks whether anything is left (the wait ends at twice
// --shard-timeout-ms and kDrainFlushLimit whatever is left, so that a client reading nothing
// cannot hold a stop).
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr auto kDrainFlushLimit = std::chrono::seconds(5);
// What each --shard adds to the descriptors: its socket's mailbox and its connection (2, measured
// with 50 shards), with room for a reconnect.
constexpr std::uint64_t kDescriptorsPerShardSocket = 4;

// Descriptors besides client connections: listener, epoll, signalfd, ZeroMQ's threads and pipes,
// the sockets to the shards. The process does not start without them (libzmq would abort it).
std::uint64_t DescriptorsBesideConnections(std::size_t shards) {
  return kMinOpenFiles + kDescriptorsPerShardSocket * shards;
}

// The HTTP server's and the router's options. Unlike the *From functions of frontend_settings,
// these check nothing and take what CheckSettings loaded (the client address policy, the CURVE
// keys); there they would make the settings depend on the HTTP server and on ZeroMQ.
HttpServerOptions HttpOptionsFrom(const FrontendSettings& settings, ClientAddressPolicy policy) {
  HttpServerOptions options;
  options.client_address = std::move(policy);
  options.tcp.bind_address = settings.bind;
  options.tcp.port = settings.port;
  options.tcp.max_connections = settings.max_connections;
  options.tcp.max_connections_setting = "--max-connections";
  options.tcp.listen_backlog = static_cast<int>(settings.listen_backlog);
  options.max_connections_per_client = settings.max_connections_per_client;
  options.tcp.idle_timeout = std::chrono::seconds(settings.socket_timeout);
  options.request_timeout = std::chrono::seconds(settings.request_timeout);
  options.tcp.max_output_bytes = settings.max_output_bytes;
  options.tcp.reuse_port = settings.reuse_port;
  options.tcp.defer_accept_seconds = static_cast<int>(settings.defer_accept);
  options.limits.max_request_line = settings.max_request_line;
  options.limits.max_header_bytes = settings.max_header_bytes;
  options.max_pipelined = settings.max_pipelined;
  return options;
}

ShardRouter::Options RouterOptionsFrom(const FrontendSettings& settings,
                                       std::optional<ShardRouter::Curve> curve) {
  ShardRouter::Options options;
  options.timeout = std::chrono::milliseconds(settings.shard_timeout_ms);
  options.max_pending_per_shard = settings.max_pending_per_shard;
  options.heartbeat = std::chrono::milliseconds(settings.shard_heartbeat_ms);
  options.curve = curve;
  return options;
}

// Raises the open-file limit towards --max-connections plus `spare`; warns when it cannot.
void RaiseOpenFilesForConnections(std::uint64_t max_connections, std::uint64_t spare) {
  const std::uint64_t wanted = max_connections + spare;
  auto limit = RaiseOpenFileLimit(wanted);
  if (!limit.ok()) {
    spdlog::warn("{}; connections may fail with 'too many open files'", limit.error());
  } else if (*limit < wanted) {
    spdlog::warn(
        "the open-file limit is {}, below --max-connections {} + {}: raise the hard limit "
        "(ulimit -Hn, LimitNOFILE=) or lower --max-connections",
        *limit, max_connections, spare);
  }
}

// What a draining frontend stops taking and waits for: HTTP and UDP requests in flight.
struct Intake {
  HttpServer& http;
  UdpSocket& udp;
  const UdpTrackerHandler& udp_handler;

  std::size_t in_flight() const {
    return http.requests_in_flight() + udp_handler.requests_in_flight();
  }
  // Every request answered, and every answer handed to the kernel.
  bool Finished() const { return in_flight() == 0 && http.unsent_bytes() == 0; }
  void Close() {
    http.StopAccepting();
    udp.StopReading();
  }
};

// What Create checked, for the parts' constructors.
struct Checked {
  UdpSocket::Options udp;
  StartingLists lists;
  ClientAddressPolicy policy;
  UdpConnectionIds udp_ids;
  ClientRequestLimiter limiter;
  std::optional<ShardRouter::Curve> curve;
  Duration batch_window;
};

// --curve-secret-file and --shard-public-key-file: both (CURVE) or neither (plain TCP: nullopt).
Result<std::optional<ShardRouter::Curve>> LoadCurve(const FrontendSettings& settings) {
  auto keys = LoadCurveSetup<CurveKey>({"--curve-secret-file", settings.curve_secret_file},
                                       {"--shard-public-key-file", settings.shard_public_key_file},
                                       "the first is this frontend's key, the second the shards'",
                                       &ReadCurveKeyFile);
  if (!keys) return Error{keys.error()};
  if (!*keys) return std::optional<ShardRouter::Curve>();
  const CurveKeyPair& own = (*keys)->own;
  spdlog::info(
      "CURVE on: this frontend's public key is {}; the shards' --frontend-keys-file "
      "must list it",
      own.public_key.ToHex());
  return std::optional<ShardRouter::Curve>(
      ShardRouter::Curve{(*keys)->theirs, own.public_key, own.secret_key});
}

// Settings that are valid but likely not what was meant.
void WarnOfSurprisingSettings(const FrontendSettings& settings) {
  if (settings.reuse_port && settings.udp_port != 0 && settings.udp_secret_file.empty()) {
    spdlog::warn(
        "--reuse-port without --udp-secret-file: each frontend sharing UDP port {} keys "
        "connection ids with a random key of its own, so a client the kernel moves to another "
        "(when one starts or stops) is told 'invalid connection id' once; give them all the "
        "same --udp-secret-file",
        settings.udp_port);
  }
  if (settings.response_size == 0) {
    spdlog::warn("--response-size 0: an announce without numwant gets no peers");
  }
}

// The settings checked and the files they name loaded, before anything is started: an error
// names the setting at fault.
Result<Checked> CheckSettings(const FrontendSettings& settings) {
  if (settings.shards.empty()) {
    return Error{"no shards: give --shard tcp://HOST:PORT once per shard, in shard-index order"};
  }
  if (settings.shards.size() > kMaxShardCount) {
    return Error{std::to_string(settings.shards.size()) +
                 " --shard endpoints: a cluster runs at most " + std::to_string(kMaxShardCount) +
                 " shards"};
  }
  for (std::size_t i = 0; i < settings.shards.size(); ++i) {
    const std::string& shard = settings.shards[i];
    if (Status endpoint = CheckZmqEndpoint("--shard", shard, EndpointUse::kConnect); !endpoint) {
      return Error{endpoint.error()};
    }
    const auto first = std::find(settings.shards.begin(), settings.shards.end(), shard);
    if (first != settings.shards.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Error{"--shard " + shard + " is listed twice, as shard " +
                   std::to_string(first - settings.shards.begin()) + " and shard " +
                   std::to_string(i) + ": give each shard once, in shard-index order"};
    }
  }
  const auto bind = IpAddress::Parse(Unbracketed(settings.bind));
  if (!bind) {
    return Error{
        "--bind must be an IPv4 or IPv6 address literal (like 127.0.0.1, 0.0.0.0 or ::), "
        "not '" +
        settings.bind + "'"};
  }
  if (Status limits = CheckRequestLimits(settings); !limits) return Error{limits.error()};
  const OtherListener http{"--port", {*bind, settings.port}};
  if (Status metrics = CheckMetricsListen(settings.metrics_listen, http); !metrics) {
    return Error{metrics.error()};
  }
  auto curve = LoadCurve(settings);
  if (!curve.ok()) return Error{curve.error()};
  auto udp_ids = LoadUdpConnectionIds(settings.udp_secret_file);
  if (!udp_ids.ok()) return Error{udp_ids.error()};
  if (!settings.udp_secret_file.empty()) {
    spdlog::info("UDP connection ids keyed by {}: every frontend given it accepts them",
                 settings.udp_secret_file);
    WarnIfOthersMayRead("--udp-secret-file: ", settings.udp_secret_file,
                        "whoever reads it can make connection ids for addresses not theirs");
  }
  WarnOfSurprisingSettings(settings);
  ClientRequestLimiter limiter = ClientRequestLimiterFrom(settings);
  if (limiter.enabled()) {
    spdlog::info("each client may make {} tracker requests a second, {} at once",
                 settings.client_request_rate, settings.client_request_burst);
  }
  auto lists = LoadStartingLists(settings);
  if (!lists.ok()) return Error{lists.error()};
  auto policy = ClientAddressPolicy::Make(settings.trusted_proxies, settings.trust_x_forwarded_for,
                                          settings.require_proxy_header);
  if (!policy.ok()) return Error{policy.error()};
  return Checked{.udp = UdpSocketOptionsFrom(settings),
                 .lists = std::move(*lists),
                 .policy = std::move(*policy),
                 .udp_ids = *udp_ids,
                 .limiter = std::move(limiter),
                 .curve = *curve,
                 .batch_window = BatchWindowFrom(settings)};
}

// Raises the open-file limit and libzmq's socket limit for the shards and --max-connections.
Status PrepareDescriptors(zmq::context_t& context, const FrontendSettings& settings,
                          std::uint64_t descriptors_elsewhere) {
  const std::uint64_t spare =
      DescriptorsBesideConnections(settings.shards.size()) + descriptors_elsewhere;
  if (Status enough = RequireOpenFiles(spare); !enough) {
    return Error{enough.error() + " for " + std::to_string(settings.shards.size()) + " shards"};
  }
  RaiseOpenFilesForConnections(settings.max_connections, spare);
  // libzmq refuses a context's sockets past ZMQ_MAX_SOCKETS (1023 by default), as "Too many open
  // files"; `spare` is more than one a shard.
  context.set(zmq::ctxopt::max_sockets,
              static_cast<int>(std::max<std::uint64_t>(ZMQ_MAX_SOCKETS_DFLT, spare)));
  return OkStatus();
}

void DrainThenStop(EventLoop& loop, const Intake& intake, MonoTime deadline) {
  if (intake.Finished() || loop.clock().Now() >= deadline) {
    loop.Stop();
    return;
  }
  loop.RunAfter(kDrainPoll, [&loop, &intake, deadline] { DrainThenStop(loop, intake, deadline); });
}

// SIGTERM: /readyz fails at once; after the grace period the listeners close and the requests
// in flight are finished.
void Drain(EventLoop& loop, TrackerHandler& handler, Intake& intake,
           const FrontendSettings& settings) {
  spdlog::info("draining: /readyz fails now, the listener closes in {} ms",
               settings.drain_grace_ms);
  handler.SetDraining();
  loop.RunAfter(std::chrono::milliseconds(settings.drain_grace_ms), [&loop, &intake, &settings] {
    spdlog::info("no new requests, finishing {} in flight", intake.in_flight());
    intake.Close();
    DrainThenStop(loop, intake,
                  loop.clock().Now() + std::chrono::milliseconds(settings.shard_timeout_ms) * 2 +
                      kDrainFlushLimit);
  });
}

}  // namespace

struct FrontendRuntime::Parts {
  Parts(EventLoop& loop, zmq::context_t& context, const FrontendSettings& settings,
        const Clock& clock, Checked checked);

  EventLoop& event_loop;
  const FrontendSettings& settings;
  ReloadedLists lists;
  ClientRequestLimiter limiter;
  TrackerHandler handler;
  HttpServer http;
  UdpTrackerHandler udp_handler;
  ShardReplyDemux demux;
  ShardRouter router;
  UdpSocket udp;
  MetricsRegistry registry;
  FrontendMetrics metrics;
  std::unique_ptr<MetricsHttpServer> metrics_server;  // with --metrics-listen, once started
  Intake intake{http, udp, udp_handler};
  bool started = false;
  bool stopping = false;
};

FrontendRuntime::Parts::Parts(EventLoop& loop, zmq::context_t& context,
                              const FrontendSettings& frontend_settings, const Clock& clock,
                              Checked checked)
    : event_loop(loop),
      settings(frontend_settings),
      lists(std::move(checked.lists)),
      limiter(std::move(checked.limiter)),
      handler(settings, AnnounceOptionsFrom(settings), clock),
      http(loop, HttpOptionsFrom(settings, std::move(checked.policy)), handler),
      udp_handler(settings, AnnounceOptionsFrom(settings), clock, checked.udp_ids),
      demux(handler, udp_handler),
      router(loop, context, settings.shards, RouterOptionsFrom(settings, checked.curve), demux),
      udp(loop, std::move(checked.udp),
          [this](std::string_view datagram, const Endpoint& from,
                 const std::optional<LocalAddress>& to) {
            udp_handler.OnDatagram(datagram, from, to);
          }),
      metrics(registry, clock) {
  handler.Attach(http, router);
  udp_handler.Attach(router, [this](const ReturnPath& path, std::string_view datagram) {
    udp.Send(path.to, datagram, path.from);
  });
  metrics.WatchHttp(http);
  metrics.WatchShards(router);
  handler.AttachMetrics(metrics);
  if (!settings.metrics_listen.empty()) handler.ServeMetricsElsewhere();
  lists.StartReloading(loop, metrics);
  const Admission admission{
      .ips = lists.ips.in_force(),
      .limiter = limiter.enabled() ? &limiter : nullptr,
      .passkeys = lists.passkeys.in_force(),
      .clients = lists.clients.in_force(),
      .torrents = lists.access.in_force(),
  };
  handler.AttachAdmission(admission);
  udp_handler.AttachAdmission(admission);
  metrics.WatchFullScrapes(handler);
  metrics.WatchLimiter(limiter);
  if (settings.udp_port != 0) metrics.WatchUdp(udp_handler.counters(), udp);
  metrics.WatchLoop(loop);
  AddProcessMetrics(registry, loop.clock().WallNow());
}

Result<std::unique_ptr<FrontendRuntime>> FrontendRuntime::Create(
    EventLoop& loop, zmq::context_t& context, const FrontendSettings& settings, const Clock& clock,
    std::uint64_t descriptors_elsewhere) {
  auto checked = CheckSettings(settings);
  if (!checked.ok()) return Error{checked.error()};
  auto runtime = std::make_unique<FrontendRuntime>(OnlyCreate{});
  // Before the router makes the first ZeroMQ socket (and with it ZeroMQ's threads). Signals are
  // read in loop turns, which come after parts_ is set below.
  runtime->WatchSignals(loop);
  loop.SetBatchWindow(checked->batch_window);
  if (Status ready = PrepareDescriptors(context, settings, descriptors_elsewhere); !ready) {
    return Error{ready.error()};
  }
  if (const std::uint32_t listed =
          FullScrapeLimitPerShard(settings, checked->lists.access.target.longest_name());
      settings.full_scrape && listed != settings.full_scrape_limit) {
    spdlog::info(
        "a full scrape lists at most {} torrents per shard, so that its reply fits "
        "--max-output-bytes {}; raise that to list more",
        listed, settings.max_output_bytes);
  }
  try {
    runtime->parts_ = std::make_unique<Parts>(loop, context, settings, clock, std::move(*checked));
  } catch (const std::exception& error) {  // the router's sockets (ZeroMQ throws)
    return Error{std::string("cannot set up the sockets to the shards: ") + error.what() +
                 " (a --shard is tcp://HOST:PORT; many shards need a higher open-file limit)"};
  }
  return runtime;
}

void FrontendRuntime::WatchSignals(EventLoop& loop) {
  loop.WatchSignals({SIGINT, SIGTERM}, [this, &loop](int signal) {
    Parts& parts = *parts_;
    if (parts.stopping) {
      spdlog::warn(
          "received {} again: stopping now, without the drain ({} requests in flight and {} "
          "bytes of answers unsent are dropped)",
          strsignal(signal), parts.intake.in_flight(), parts.http.unsent_bytes());
    }
    if (!parts.started || parts.stopping) return loop.Stop();
    parts.stopping = true;
    spdlog::info("received {}", strsignal(signal));
    Drain(loop, parts.handler, parts.intake, parts.settings);
  });
  loop.WatchSignals({SIGHUP}, [this](int) {
    Parts& parts = *parts_;
    if (!parts.lists.any_enabled()) {
      return spdlog::info(
          "SIGHUP: no --access-list, --passkey-file, --client-list or --ip-list to reload");
    }
    parts.lists.Reload();
  });
}

FrontendRuntime::FrontendRuntime(OnlyCreate) {}
FrontendRuntime::~FrontendRuntime() = default;

MetricsRegistry& FrontendRuntime::metrics_registry() { return parts_->registry; }

Status FrontendRuntime::CheckPorts() {
  const FrontendSettings& settings = parts_->settings;
  UniqueFd http;  // held while the metrics port (TCP too) is tried: one port for both is refused
  if (settings.port != 0) {
    auto held = HoldListen(settings.bind, settings.port, settings.reuse_port);
    if (!held) return Error{"--port: " + held.error()};
    http = std::move(*held);
  }
  if (settings.udp_port != 0) {
    UdpSocket probe(parts_->event_loop,
                    {.bind_address = settings.bind,
                     .port = settings.udp_port,
                     .reuse_port = settings.reuse_port},
                    [](std::string_view, const Endpoint&, const std::optional<LocalAddress>&) {});
    if (Status udp = probe.Open(); !udp) return Error{"--udp-port: " + udp.error()};
  }
  if (auto metrics = HoldMetricsListen(settings.metrics_listen); !metrics) {
    return Error{metrics.error()};
  }
  return OkStatus();
}

Status FrontendRuntime::Start() {
  const FrontendSettings& settings = parts_->settings;
  if (auto listening = parts_->http.Listen(); !listening.ok()) {
    return Error{"--port: " + listening.error()};
  }
  auto metrics_server = ServeMetrics(parts_->event_loop, settings.metrics_listen, parts_->registry);
  if (!metrics_server.ok()) return Error{metrics_server.error()};
  parts_->metrics_server = std::move(*metrics_server);
  std::string udp_url;
  if (settings.udp_port != 0) {
    if (auto opened = parts_->udp.Open(); !opened.ok()) {
      return Error{"--udp-port: " + opened.error()};
    }
    udp_url = fmt::format(" and udp://{}:{}", BracketedIfIpv6(settings.bind), parts_->udp.port());
  }
  parts_->started = true;
  spdlog::info(
      "ready: frontend listening on http://{}:{}{} for {} shards (/readyz: whether they answer)",
      BracketedIfIpv6(settings.bind), parts_->http.port(), udp_url, settings.shards.size());
  return OkStatus();
}

}  // namespace shardtrack

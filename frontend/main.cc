// shardtrack-frontend: wiring only. Read settings, set up logging, build the objects, run the loop.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/open_file_limit.h"
#include "common/reactor/event_loop.h"
#include "common/reactor/udp_socket.h"
#include "frontend/access/access_list_file.h"
#include "frontend/access/access_list_reloader.h"
#include "frontend/access/torrent_access.h"
#include "frontend/client_address.h"
#include "frontend/frontend_metrics.h"
#include "frontend/frontend_settings.h"
#include "frontend/http_server.h"
#include "frontend/shard_reply_demux.h"
#include "frontend/shard_router.h"
#include "frontend/tracker_handler.h"
#include "frontend/udp/udp_connection_ids.h"
#include "frontend/udp_tracker_handler.h"

namespace shardtrack {
namespace {

// On SIGTERM a frontend stops accepting, answers what is in flight, then exits; this bounds the
// wait for requests whose shard never answers (they fail at shard_timeout anyway).
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
// Descriptors besides client connections: listener, epoll, signalfd, ZeroMQ's sockets and pipes.
constexpr std::uint64_t kSpareDescriptors = 64;

HttpServerOptions HttpOptionsFrom(const FrontendSettings& settings, ClientAddressPolicy policy) {
  HttpServerOptions options;
  options.client_address = std::move(policy);
  options.tcp.bind_address = settings.bind;
  options.tcp.port = settings.port;
  options.tcp.max_connections = settings.max_connections;
  options.tcp.idle_timeout = std::chrono::seconds(settings.socket_timeout);
  options.tcp.max_output_bytes = settings.max_output_bytes;
  options.tcp.reuse_port = settings.reuse_port;
  options.tcp.defer_accept_seconds = static_cast<int>(settings.defer_accept);
  options.limits.max_request_line = settings.max_request_line;
  options.limits.max_header_bytes = settings.max_header_bytes;
  options.max_pipelined = settings.max_pipelined;
  return options;
}

Result<AnnounceOptions> AnnounceOptionsFrom(const FrontendSettings& settings) {
  auto ip_override = ParseIpOverride(settings.ip_override);
  if (!ip_override) {
    return Error{"--ip-override must be local, always or never, not '" + settings.ip_override +
                 "'"};
  }
  return AnnounceOptions{settings.response_size, settings.max_give, *ip_override};
}

void WarnIfDescriptorsAreShort(std::uint64_t max_connections) {
  const std::uint64_t wanted = max_connections + kSpareDescriptors;
  auto limit = RaiseOpenFileLimit(wanted);
  if (!limit.ok()) {
    spdlog::warn("{}; connections may fail with 'too many open files'", limit.error());
  } else if (*limit < wanted) {
    spdlog::warn(
        "the open-file limit is {}, below --max-connections {} + {}: raise the hard limit "
        "(ulimit -Hn, LimitNOFILE=) or lower --max-connections",
        *limit, max_connections, kSpareDescriptors);
  }
}

void RegisterUdpMetrics(MetricsRegistry& registry, const UdpCounters& counters) {
  const char* name = "shardtrack_udp_datagrams_total";
  const char* help = "UDP tracker datagrams by what became of them.";
  registry.AddCounter(name, help, {{"kind", "connect"}}, [&counters] { return counters.connects; });
  registry.AddCounter(name, help, {{"kind", "announce"}},
                      [&counters] { return counters.announces; });
  registry.AddCounter(name, help, {{"kind", "scrape"}}, [&counters] { return counters.scrapes; });
  registry.AddCounter(name, help, {{"kind", "error"}}, [&counters] { return counters.errors; });
  registry.AddCounter(name, help, {{"kind", "dropped"}}, [&counters] { return counters.dropped; });
}

// The access list in force at start: off without a file, else the file's list (a missing or
// malformed file is an error naming it and the bad line).
Result<TorrentAccess> LoadAccess(const AccessSettings& access) {
  if (access.path.empty()) return TorrentAccess();
  auto list = LoadAccessList(access.path);
  if (!list) return Error{"--access-list: " + list.error()};
  spdlog::info("access list {}: {} torrents, {} mode", access.path, list->size(),
               access.mode == AccessMode::kAllow ? "allow" : "deny");
  return TorrentAccess(access.mode, std::move(*list));
}

std::string HostForUrl(const std::string& bind) {
  return bind.find(':') == std::string::npos ? bind : "[" + bind + "]";
}

// What a draining frontend stops taking and waits for: HTTP and UDP requests in flight.
struct Intake {
  HttpServer& http;
  UdpSocket& udp;
  const UdpTrackerHandler& udp_handler;

  std::size_t in_flight() const {
    return http.requests_in_flight() + udp_handler.requests_in_flight();
  }
  void Close() {
    http.StopAccepting();
    udp.StopReading();
  }
};

void DrainThenStop(EventLoop& loop, const Intake& intake, MonoTime deadline) {
  if (intake.in_flight() == 0 || loop.clock().Now() >= deadline) {
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
                  loop.clock().Now() + std::chrono::milliseconds(settings.shard_timeout_ms) * 2);
  });
}

int Run(int argc, char** argv) {
  FrontendSettings settings;
  FlagSet flags(
      "shardtrack-frontend",
      "Answers HTTP announces and scrapes; routes each torrent to the shard that owns it.");
  settings.Register(flags);
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  if (auto logging = SetUpLogging("frontend", settings.log_level); !logging.ok()) {
    std::fprintf(stderr, "shardtrack-frontend: %s\n", logging.error().c_str());
    return 2;
  }
  if (settings.shards.empty()) {
    spdlog::error("no shards: give --shard tcp://HOST:PORT once per shard, in shard-index order");
    return 2;
  }
  auto announce_options = AnnounceOptionsFrom(settings);
  if (!announce_options.ok()) {
    spdlog::error("{}", announce_options.error());
    return 2;
  }
  auto udp_options = UdpSocketOptionsFrom(settings);
  if (!udp_options.ok()) {
    spdlog::error("{}", udp_options.error());
    return 2;
  }
  auto access_settings = AccessSettingsFrom(settings);
  if (!access_settings.ok()) {
    spdlog::error("{}", access_settings.error());
    return 2;
  }
  const FileStamp access_stamp = StampOf(access_settings->path);
  auto access = LoadAccess(*access_settings);
  if (!access.ok()) {
    spdlog::error("{}", access.error());
    return 2;
  }
  auto policy = ClientAddressPolicy::Make(settings.trusted_proxies, settings.trust_x_forwarded_for,
                                          settings.require_proxy_header);
  if (!policy.ok()) {
    spdlog::error("{}", policy.error());
    return 2;
  }

  SystemClock clock;
  EventLoop loop(clock);
  bool stopping = false;
  Intake* intake_for_signal = nullptr;
  TrackerHandler handler(settings, *announce_options, clock);
  loop.WatchSignals({SIGINT, SIGTERM}, [&](int signal) {
    if (stopping || intake_for_signal == nullptr) return loop.Stop();
    stopping = true;
    spdlog::info("received {}", strsignal(signal));
    Drain(loop, handler, *intake_for_signal, settings);
  });
  std::optional<AccessListReloader> reloader;
  loop.WatchSignals({SIGHUP}, [&reloader](int) {
    if (!reloader) return spdlog::info("SIGHUP: no --access-list to reload");
    reloader->Reload();
  });
  if (access->enabled()) {
    reloader.emplace(loop, access_settings->path, access_settings->interval, access_stamp, *access);
  }
  WarnIfDescriptorsAreShort(settings.max_connections);
  if (const std::uint32_t listed = FullScrapeLimitPerShard(settings);
      settings.full_scrape && listed != settings.full_scrape_limit) {
    spdlog::info(
        "a full scrape lists at most {} torrents per shard, so that its reply fits "
        "--max-output-bytes {}; raise that to list more",
        listed, settings.max_output_bytes);
  }
  zmq::context_t context(1);

  HttpServer http(loop, HttpOptionsFrom(settings, std::move(*policy)), handler);
  ShardRouter::Options router_options;
  router_options.timeout = std::chrono::milliseconds(settings.shard_timeout_ms);
  router_options.max_pending_per_shard = settings.max_pending_per_shard;
  UdpTrackerHandler udp_handler(settings, *announce_options, clock,
                                UdpConnectionIds::WithRandomSecret());
  ShardReplyDemux demux(handler, udp_handler);
  ShardRouter router(loop, context, settings.shards, router_options, demux);
  handler.Attach(http, router);
  UdpSocket udp(loop, std::move(*udp_options),
                [&udp_handler](std::string_view datagram, const Endpoint& from) {
                  udp_handler.OnDatagram(datagram, from);
                });
  udp_handler.Attach(
      router, [&udp](const Endpoint& to, std::string_view datagram) { udp.Send(to, datagram); });
  MetricsRegistry registry;
  FrontendMetrics metrics(registry, clock);
  metrics.WatchHttp(http);
  metrics.WatchShards(router);
  handler.AttachMetrics(metrics);
  if (access->enabled()) {
    handler.AttachAccess(*access);
    udp_handler.AttachAccess(*access);
    metrics.WatchAccess(*access);
    reloader->Start();
  }
  RegisterUdpMetrics(registry, udp_handler.counters());
  if (auto listening = http.Listen(); !listening.ok()) {
    spdlog::error("{} (is another tracker running? choose another --port)", listening.error());
    return 1;
  }
  std::string udp_url;
  if (settings.udp_port != 0) {
    if (auto opened = udp.Open(); !opened.ok()) {
      spdlog::error("{} (choose another --udp-port)", opened.error());
      return 1;
    }
    udp_url = fmt::format(" and udp://{}:{}", HostForUrl(settings.bind), udp.port());
  }
  Intake intake{http, udp, udp_handler};
  intake_for_signal = &intake;
  spdlog::info("ready: frontend listening on http://{}:{}{} with {} shards",
               HostForUrl(settings.bind), http.port(), udp_url, settings.shards.size());
  loop.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }

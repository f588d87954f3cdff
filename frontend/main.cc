// shardtrack-frontend: wiring only. Read settings, set up logging, build the objects, run the loop.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/reactor/event_loop.h"
#include "frontend/frontend_settings.h"
#include "frontend/http_server.h"
#include "frontend/shard_router.h"
#include "frontend/tracker_handler.h"

namespace shardtrack {
namespace {

// On SIGTERM a frontend stops accepting, answers what is in flight, then exits; this bounds the
// wait for requests whose shard never answers (they fail at shard_timeout anyway).
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

HttpServerOptions HttpOptionsFrom(const FrontendSettings& settings) {
  HttpServerOptions options;
  options.tcp.bind_address = settings.bind;
  options.tcp.port = settings.port;
  options.tcp.max_connections = settings.max_connections;
  options.tcp.idle_timeout = std::chrono::seconds(settings.socket_timeout);
  options.tcp.max_output_bytes = settings.max_output_bytes;
  options.tcp.reuse_port = settings.reuse_port;
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

void DrainThenStop(EventLoop& loop, const HttpServer& http, MonoTime deadline) {
  if (http.requests_in_flight() == 0 || loop.clock().Now() >= deadline) {
    loop.Stop();
    return;
  }
  loop.RunAfter(kDrainPoll, [&loop, &http, deadline] { DrainThenStop(loop, http, deadline); });
}

int Run(int argc, char** argv) {
  FrontendSettings settings;
  FlagSet flags("shardtrack-frontend",
                "Answers HTTP announces and scrapes; routes each torrent to the shard that owns it.");
  settings.Register(flags);
  auto parsed = flags.Parse(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "shardtrack-frontend: %s (see --help)\n", parsed.error().c_str());
    return 2;
  }
  if (*parsed == FlagSet::Outcome::kHelpShown) {
    std::fputs(flags.Help().c_str(), stdout);
    return 0;
  }
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

  SystemClock clock;
  EventLoop loop(clock);
  bool stopping = false;
  HttpServer* http_for_signal = nullptr;
  loop.WatchSignals({SIGINT, SIGTERM}, [&](int signal) {
    if (stopping || http_for_signal == nullptr) return loop.Stop();
    stopping = true;
    spdlog::info("received {}: no new connections, finishing {} requests in flight",
                 strsignal(signal), http_for_signal->requests_in_flight());
    http_for_signal->StopAccepting();
    DrainThenStop(loop, *http_for_signal,
                  clock.Now() + std::chrono::milliseconds(settings.shard_timeout_ms) * 2);
  });
  zmq::context_t context(1);

  TrackerHandler handler(settings, *announce_options);
  HttpServer http(loop, HttpOptionsFrom(settings), handler);
  ShardRouter::Options router_options;
  router_options.timeout = std::chrono::milliseconds(settings.shard_timeout_ms);
  router_options.max_pending_per_shard = settings.max_pending_per_shard;
  ShardRouter router(loop, context, settings.shards, router_options, handler);
  handler.Attach(http, router);
  if (auto listening = http.Listen(); !listening.ok()) {
    spdlog::error("{} (is another tracker running? choose another --port)", listening.error());
    return 1;
  }
  http_for_signal = &http;
  spdlog::info("ready: frontend listening on http://{}:{} with {} shards",
               settings.bind.find(':') == std::string::npos ? settings.bind
                                                            : "[" + settings.bind + "]",
               http.port(), settings.shards.size());
  loop.Run();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }

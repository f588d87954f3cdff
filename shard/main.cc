// shardtrack-shard: wiring only. Read settings, set up logging, build the objects, run the loop.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/metrics_http_server.h"
#include "common/reactor/event_loop.h"
#include "shard/shard_metrics.h"
#include "shard/shard_server.h"
#include "shard/shard_service.h"
#include "shard/shard_settings.h"
#include "shard/swarm_store.h"

namespace shardtrack {
namespace {

int Run(int argc, char** argv) {
  ShardSettings settings;
  FlagSet flags("shardtrack-shard", "Owns the swarms of its share of all torrents.");
  settings.Register(flags);
  auto parsed = flags.Parse(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "shardtrack-shard: %s\n", parsed.error().c_str());
    return 2;
  }
  if (*parsed == FlagSet::Outcome::kHelpShown) {
    std::fputs(flags.Help().c_str(), stdout);
    return 0;
  }
  if (auto logging = SetUpLogging("shard", settings.log_level); !logging.ok()) {
    std::fprintf(stderr, "shardtrack-shard: %s\n", logging.error().c_str());
    return 2;
  }
  if (settings.count == 0 || settings.index >= settings.count) {
    spdlog::error("--index {} must be below --count {}", settings.index, settings.count);
    return 2;
  }

  SystemClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  SwarmStore store;
  ShardService service(settings.index, settings.count, store, std::random_device{}());
  ShardServer server(loop, context, settings, store, service);
  auto endpoint = server.Bind();
  if (!endpoint.ok()) {
    spdlog::error("{}", endpoint.error());
    return 1;
  }
  loop.WatchSignals({SIGINT, SIGTERM}, [&](int signal) {
    spdlog::info("received {}, stopping", strsignal(signal));
    loop.Stop();
  });
  MetricsRegistry metrics;
  RegisterShardMetrics(metrics, settings.index, settings.count, store, service, server);
  auto metrics_server = ServeMetrics(loop, settings.metrics_listen, metrics);
  if (!metrics_server.ok()) {
    spdlog::error("{}", metrics_server.error());
    return 1;
  }
  server.Start();
  spdlog::info("ready: shard {}/{} listening on {}", settings.index, settings.count, *endpoint);
  loop.Run();
  server.Close();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }

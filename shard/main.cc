// shardtrack-shard: wiring only. Read settings, set up logging, install signals, open the shard
// (loading its files), serve its metrics, run the loop, save a final snapshot.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <memory>
#include <span>
#include <utility>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/metrics_http_server.h"
#include "common/process_metrics.h"
#include "common/reactor/event_loop.h"
#include "shard/shard_runtime.h"
#include "shard/shard_settings.h"

namespace shardtrack {
namespace {

int Run(int argc, char** argv) {
  EventLoop::HoldSignals({SIGHUP});  // until the loop reads them: reloads before it are moot
  ShardSettings settings;
  FlagSet flags("shardtrack-shard", "Owns the swarms of its share of all torrents.");
  settings.Register(flags);
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  SetUpLogging("shard", settings.log_level);
  WarnOfUnknownVariables(environ);

  auto plan = ShardRuntime::Plan(settings);
  if (!plan) {
    LogStartFailure(plan.error());
    return 2;
  }
  SystemClock clock;
  const auto started = clock.WallNow();  // process_start_time_seconds: before the load, not after
  EventLoop loop(clock);
  // Before any other thread exists (the ZeroMQ context's), so SIGTERM reaches the loop.
  loop.WatchSignals({SIGINT, SIGTERM}, [&](int signal) {
    spdlog::info("received {}, stopping", strsignal(signal));
    loop.Stop();
  });
  ShardRuntime* running = nullptr;  // set once started; signals are read in loop turns
  loop.WatchSignals({SIGHUP}, [&running](int) {
    if (running != nullptr) running->ReloadFrontendKeys();
  });
  zmq::context_t context(1);
  if (Status ports = ShardRuntime::CheckPorts(settings); !ports) {
    LogStartFailure(ports.error());
    return 1;
  }
  spdlog::info("loading shard {}/{} from {}", settings.index, settings.count, settings.data_dir);
  if (Status whole = ShardRuntime::CheckLayoutStartsWhole(settings); !whole) {
    LogStartFailure(whole.error());
    return 1;
  }
  auto shard = ShardRuntime::Open(loop, context, settings, std::move(*plan), clock);
  if (!shard) {
    LogStartFailure(shard.error());
    return 1;
  }
  const std::span<const std::unique_ptr<ShardRuntime>> opened(&*shard, 1);
  if (StopAskedDuringTheLoad()) return StopShards(opened, 0);
  auto endpoint = (*shard)->Start();
  if (!endpoint.ok()) {
    LogStartFailure(endpoint.error());
    return StopShards(opened, 1);
  }
  MetricsRegistry metrics;
  AddProcessMetrics(metrics, started);
  (*shard)->RegisterMetrics(metrics);
  auto metrics_server = ServeMetrics(loop, settings.metrics_listen, metrics);
  if (!metrics_server.ok()) {
    LogStartFailure(metrics_server.error());
    return StopShards(opened, 1);
  }
  running = shard->get();
  spdlog::info("ready: shard {}/{} listening on {}", settings.index, settings.count, *endpoint);
  loop.Run();
  return StopShards(opened, 0);
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) {
  return shardtrack::RunLoggingEscapes(shardtrack::Run, argc, argv);
}

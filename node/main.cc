// shardtrack-node: a frontend and its shards in one process. They share one event loop and one
// ZeroMQ context, and the frontend reaches shard i at inproc://shard-<i>: the same ROUTER and
// DEALER sockets and protobuf messages as a cluster, without ZeroMQ's I/O threads or TCP between
// them. The data directory is a cluster's (shard-<i>-of-<n> files), so a node's data serves a
// cluster of n shard processes later, and the other way round. Wiring only.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/reactor/event_loop.h"
#include "frontend/announce_interval.h"
#include "frontend/frontend_runtime.h"
#include "frontend/frontend_settings.h"
#include "shard/shard_runtime.h"
#include "shard/shard_settings.h"

namespace shardtrack {
namespace {

// One thread serves them all, so more shards only help a later move to a cluster of as many
// processes; each costs descriptors (sockets, journal, workers), and past a few thousand the
// process runs out of them.
constexpr std::uint32_t kMaxShards = 256;
// What each shard adds to the process's descriptors (its socket and ZeroMQ's mailboxes, its
// journal, its workers' eventfds): 7, measured with 256 shards; a snapshot opens one more.
constexpr std::uint64_t kDescriptorsPerShard = 8;

struct NodeSettings {
  FrontendSettings frontend;
  ShardSettings shard;  // for every shard, but index, count and listen
  std::uint32_t shards = 1;
  LogLevel log_level = LogLevel::kInfo;

  void Register(FlagSet& flags) {
    flags.Add("shards", &shards,
              "shards in this process (their files: shard-<i>-of-<shards> in --data-dir)",
              Between(1, kMaxShards, "each costs descriptors"));
    frontend.RegisterServing(flags);
    shard.RegisterStorage(flags);
    AddLogLevelFlag(flags, &log_level);
    RefuseTheirOwnOptions(flags);
  }

  // A shard's and a frontend's own options (their network, their place in a cluster), which a
  // node has no use for: refused saying why, not as unknown. Found by registering theirs, so a new
  // one is refused the same way.
  static void RefuseTheirOwnOptions(FlagSet& node) {
    std::vector<std::string> taken = node.Names();
    const auto refuse = [&](auto settings, const char* why) {
      FlagSet theirs("", "");
      settings.Register(theirs);
      for (std::string& name : theirs.Names()) {
        if (std::find(taken.begin(), taken.end(), name) != taken.end()) continue;
        node.NotTaken(name, why);
        taken.push_back(std::move(name));
      }
    };
    refuse(ShardSettings{}, "its shards are its own, in this process: give --shards N");
    refuse(FrontendSettings{}, "its frontend asks its own shards, inside the process");
  }

  // A node, unlike a frontend and its shards apart, holds both settings: a peer that announces
  // as it is told must not expire before its next announce.
  void WarnOfPeersExpiringBeforeTheyAnnounce() const {
    const std::int64_t longest_wait = IntervalOf(frontend).longest();
    if (longest_wait < shard.peer_timeout) return;
    spdlog::warn(
        "--peer-timeout {} s is not over the longest interval clients are given ({} s: "
        "--announce-interval and half --interval-jitter): peers drop out of peer lists and "
        "counts before their next announce; raise --peer-timeout or lower --announce-interval",
        shard.peer_timeout, longest_wait);
  }

  // Shard i's settings (index, count, inproc endpoint); points the frontend at those endpoints.
  std::vector<ShardSettings> PlanShards() {
    std::vector<ShardSettings> list(shards, shard);
    frontend.shards.clear();
    for (std::uint32_t i = 0; i < shards; ++i) {
      list[i].index = i;
      list[i].count = shards;
      list[i].listen = "inproc://shard-" + std::to_string(i);
      frontend.shards.push_back(list[i].listen);
    }
    return list;
  }
};

int Run(int argc, char** argv) {
  // Until the loop reads them: reloads before it are moot, and a stop while the lists and the
  // shards load is seen after it, not a death by signal.
  EventLoop::HoldSignals({SIGHUP, SIGINT, SIGTERM});
  NodeSettings settings;
  FlagSet flags("shardtrack-node",
                "A frontend and its shards in one process: announces and scrapes over HTTP (and "
                "UDP), swarms kept and saved in --data-dir.");
  settings.Register(flags);
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  SetUpLogging("node", settings.log_level);
  WarnOfUnknownVariables(environ);
  settings.WarnOfPeersExpiringBeforeTheyAnnounce();
  const std::vector<ShardSettings> shard_settings = settings.PlanShards();
  SystemClock clock;
  EventLoop loop(clock);
  zmq::context_t context(1);
  auto frontend = FrontendRuntime::Create(loop, context, settings.frontend, clock,
                                          kDescriptorsPerShard * settings.shards);
  if (!frontend.ok()) {
    LogStartFailure(frontend.error());
    return 2;
  }
  std::vector<ShardPlan> plans;
  for (const ShardSettings& one : shard_settings) {
    auto plan = ShardRuntime::Plan(one);
    if (!plan) {
      LogStartFailure(fmt::format("shard {}: {}", one.index, plan.error()));
      return 2;
    }
    plans.push_back(std::move(*plan));
  }
  if (Status ports = (*frontend)->CheckPorts(); !ports) {
    LogStartFailure(ports.error());
    return 1;
  }
  if (Status whole = ShardRuntime::CheckLayoutStartsWhole(shard_settings.front()); !whole) {
    LogStartFailure(whole.error());
    return 1;
  }
  std::vector<std::unique_ptr<ShardRuntime>> shards;
  const auto stop_shards = [&shards](int code) { return StopShards(shards, code); };
  for (const ShardSettings& one : shard_settings) {
    auto shard = ShardRuntime::Open(loop, context, one, std::move(plans[one.index]), clock);
    if (!shard.ok()) {
      LogStartFailure(fmt::format("shard {}: {}", one.index, shard.error()));
      return stop_shards(1);
    }
    shards.push_back(std::move(*shard));
    if (auto endpoint = shards.back()->Start(); !endpoint.ok()) {
      LogStartFailure(fmt::format("shard {}: {}", one.index, endpoint.error()));
      return stop_shards(1);
    }
    shards.back()->RegisterMetrics((*frontend)->metrics_registry());
  }
  if (StopAskedDuringTheLoad()) return stop_shards(0);
  if (Status started = (*frontend)->Start(); !started) {
    LogStartFailure(started.error());
    return stop_shards(1);
  }
  loop.Run();
  return stop_shards(0);
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) {
  return shardtrack::RunLoggingEscapes(shardtrack::Run, argc, argv);
}

// shardtrack-shard: wiring only. Read settings, set up logging, load the shard's files, build the
// objects, install signals, run the loop, save a final snapshot.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/sysinfo.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/metrics_http_server.h"
#include "common/reactor/event_loop.h"
#include "common/siphash.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/persistence_metrics.h"
#include "shard/persistence/shard_persistence.h"
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
  if (auto exit_status = flags.ParseCommandLine(argc, argv)) return *exit_status;
  if (auto logging = SetUpLogging("shard", settings.log_level); !logging.ok()) {
    std::fprintf(stderr, "shardtrack-shard: %s\n", logging.error().c_str());
    return 2;
  }
  if (settings.count == 0 || settings.index >= settings.count) {
    spdlog::error("--index {} must be below --count {}", settings.index, settings.count);
    return 2;
  }
  auto on_corrupt = ParseOnCorrupt(settings.on_corrupt);
  if (!on_corrupt || settings.save_dfile_interval <= 0) {
    spdlog::error("--on-corrupt must be refuse or quarantine, --save-dfile-interval positive");
    return 2;
  }

  auto expiry = ExpiryOptionsFrom(settings);
  if (!expiry) {
    spdlog::error("{}", expiry.error());
    return 2;
  }
  auto snapshot_cpus = SnapshotCpusFrom(settings, get_nprocs_conf());
  if (!snapshot_cpus) {
    spdlog::error("{}", snapshot_cpus.error());
    return 2;
  }

  SystemClock clock;
  EventLoop loop(clock);
  // Before any other thread exists (the ZeroMQ context's), so SIGTERM reaches the loop.
  loop.WatchSignals({SIGINT, SIGTERM}, [&](int signal) {
    spdlog::info("received {}, stopping", strsignal(signal));
    loop.Stop();
  });
  PosixFileOps files;
  SwarmStore store(settings.store_peer_ids, RandomSipHashKey());
  const PersistenceOptions persistence_options{settings.data_dir,     settings.index,
                                               settings.count,        *on_corrupt,
                                               settings.peer_timeout, *snapshot_cpus};
  auto persistence = ShardPersistence::Open(files, persistence_options, clock.WallNow(), store);
  if (!persistence) {
    spdlog::error("cannot start from {}: {}", settings.data_dir, persistence.error());
    return 1;
  }
  spdlog::info("{}", (*persistence)->recovery_summary());
  // The loader's temporaries are freed by now, and LoadIntoStore handed most of their pages back
  // as it went; glibc keeps the rest (up to half of what was freed since its last trim), and
  // every snapshot's fork would copy their page tables. Hand those back too.
  malloc_trim(0);

  zmq::context_t context(1);
  ShardService service(settings.index, settings.count, store, std::random_device{}());
  ShardServer server(loop, context, settings, *expiry, store, service);
  server.SetDurability(persistence->get());
  server.SetBackgroundSnapshot(persistence->get());
  auto endpoint = server.Bind();
  if (!endpoint.ok()) {
    spdlog::error("{}", endpoint.error());
    return 1;
  }
  MetricsRegistry metrics;
  RegisterShardMetrics(metrics, settings.index, settings.count, store, service, server);
  RegisterPersistenceMetrics(metrics, settings.index, **persistence, clock);
  auto metrics_server = ServeMetrics(loop, settings.metrics_listen, metrics);
  if (!metrics_server.ok()) {
    spdlog::error("{}", metrics_server.error());
    return 1;
  }
  server.Start();
  spdlog::info("ready: shard {}/{} listening on {}", settings.index, settings.count, *endpoint);
  loop.Run();
  server.Close();
  if (Status saved = (*persistence)->SaveSnapshot(store, clock.WallNow()); !saved) {
    spdlog::error("final snapshot failed: {} (the journal keeps every change)", saved.error());
    return 1;
  }
  spdlog::info("stopped: saved {} torrents and {} peers", store.torrents(), store.peers());
  return server.commit_failed() ? 1 : 0;
}

}  // namespace
}  // namespace shardtrack

int main(int argc, char** argv) { return shardtrack::Run(argc, argv); }

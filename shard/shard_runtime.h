// ShardRuntime: everything one shard runs on an event loop: its swarm store loaded from the data
// directory, the persistence that journals and snapshots it, the service, and the ROUTER socket
// that answers frontends. shardtrack-shard runs one per process; shardtrack-node runs its shards
// beside a frontend on one loop. Loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/clock.h"
#include "common/curve_setup.h"
#include "common/list_file.h"
#include "common/list_file_reloader.h"
#include "common/metrics.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/accounting/accounting_flusher.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/connection_watch.h"
#include "shard/expiry_timer.h"
#include "shard/frontend_keys.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/shard_persistence.h"
#include "shard/shard_server.h"
#include "shard/shard_service.h"
#include "shard/shard_settings.h"
#include "shard/swarm_store.h"
#include "shard/zap_handler.h"

namespace shardtrack {

// The exit status of a shard (or node) that stopped because its data directory is no longer on
// its volume; 2 is for settings refused, 1 for other failures.
inline constexpr int kExitVolumeLost = 3;

// --curve-secret-file and --frontend-keys-file, read.
struct ShardCurve {
  CurveSetup<CurveKeyList> keys;  // theirs: the frontends admitted
  FileStamp keys_stamp;           // the version of the keys file read, where its reloader starts
};

// What ShardRuntime::Open makes of the settings: each checked, the key files read, the open-file
// limit found enough; nothing bound or written.
struct ShardPlan {
  ExpirySweep::Options expiry;
  std::vector<int> snapshot_cpus;
  std::optional<ShardCurve> curve;  // nullopt: plain TCP
};

class ShardRuntime {
  struct OnlyOpen {  // a key only Open can make: the constructor is public for make_unique
    explicit OnlyOpen() = default;
  };

 public:
  // Checks the settings (flags and key files, and an open-file limit enough for them): an error
  // names what the operator must change (the process exits 2; a failure of Open, which a
  // restart may not meet, 1).
  static Result<ShardPlan> Plan(const ShardSettings& settings);
  // Whether Start could take --listen and --metrics-listen now: asked before the files, whose load
  // takes minutes at millions of peers (a node's shards have no ports of their own).
  static Status CheckPorts(const ShardSettings& settings);
  // Whether every shard of --count can start from --data-dir's files (StartsRefused): asked once
  // a process, before any of its shards writes. A node's shards share the answer; asked by each,
  // every file's header would be read once a shard (with 256, a quarter of a million reads).
  static Status CheckLayoutStartsWhole(const ShardSettings& settings);
  // Loads the shard's files (seconds for millions of peers); Start then binds. An error names the
  // file at fault. `settings` and `clock` must outlive the runtime.
  static Result<std::unique_ptr<ShardRuntime>> Open(EventLoop& loop, zmq::context_t& context,
                                                    const ShardSettings& settings, ShardPlan plan,
                                                    const Clock& clock);
  ShardRuntime(OnlyOpen, const ShardSettings& settings, const Clock& clock);
  ShardRuntime(const ShardRuntime&) = delete;
  ShardRuntime& operator=(const ShardRuntime&) = delete;

  // Binds --listen and starts expiry and snapshots; returns the endpoint bound.
  Result<std::string> Start();
  void RegisterMetrics(MetricsRegistry& registry) const;
  // SIGHUP: reads --frontend-keys-file again now.
  void ReloadFrontendKeys();
  // After the loop has stopped: no more requests, then the last accounting file and the final
  // snapshot. False when either, or an earlier journal commit, failed (logged).
  bool Stop();

  // Its data directory went off its volume while it ran (ShardPersistence::volume_lost): the
  // process exits kExitVolumeLost (StopShards), which no unit restarts, since a shard started
  // now would start empty on the filesystem below.
  bool volume_lost() const { return persistence_->volume_lost(); }
  const ShardSettings& settings() const { return settings_; }
  const SwarmStore& store() const { return store_; }

 private:
  // The accounting's flusher, and the baselines it takes up: settled before this run's first
  // snapshot, which outranks the files they were checked against (baseline_file.h).
  Status OpenAccounting(EventLoop& loop, const StoreLoad& loaded);

  const ShardSettings& settings_;
  const Clock& clock_;
  PosixFileOps files_;
  SwarmStore store_;
  // Borrowed by the service, the server and the flusher below, so declared (and destroyed)
  // around them: a server closing as the runtime goes may still read batches.
  TransferLedger ledger_;
  FrontendKeys frontend_keys_;  // with CURVE only: the keys admitted
  std::unique_ptr<ShardPersistence> persistence_;
  // The service credits it and the server writes and syncs its log: destroyed after them.
  std::unique_ptr<AccountingFlusher> accounting_;
  std::unique_ptr<ShardService> service_;
  std::unique_ptr<ShardServer> server_;
  std::unique_ptr<ExpiryTimer> expiry_;     // journals through the server's GroupCommit
  std::unique_ptr<ConnectionWatch> watch_;  // unless --listen is inproc:// (a node's)
  std::unique_ptr<ZapHandler> zap_;
  std::unique_ptr<ListFileReloader<FrontendKeys>> keys_reloader_;
};

// Stops every shard opened (each as after SIGTERM, also when a start fails after it, so that its
// accounting's baselines and last file are saved as at any stop) and returns the process's exit
// status: kExitVolumeLost when one's volume was lost, 1 when one could not save, else `code`.
int StopShards(std::span<const std::unique_ptr<ShardRuntime>> shards, int code);

}  // namespace shardtrack

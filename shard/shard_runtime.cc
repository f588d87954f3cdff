#include "shard/shard_runtime.h"

#include <spdlog/spdlog.h>
#include <sys/sysinfo.h>

#include <optional>
#include <random>

#include "common/curve_setup.h"
#include "common/list_file.h"
#include "common/metrics_http_server.h"
#include "common/open_file_limit.h"
#include "common/return_freed_memory.h"
#include "common/secret_permissions.h"
#include "common/siphash.h"
#include "common/zmq_endpoint.h"
#include "shard/accounting/accounting_file.h"
#include "shard/persistence/layout_retirement.h"
#include "shard/persistence/persistence_metrics.h"
#include "shard/shard_metrics.h"

namespace shardtrack {
namespace {

// Both files (CURVE) or neither (plain TCP: nullopt).
Result<std::optional<ShardCurve>> LoadShardCurve(const ShardSettings& settings) {
  FileStamp stamp;
  auto keys = LoadCurveSetup<CurveKeyList>(
      {"--curve-secret-file", settings.curve_secret_file},
      {"--frontend-keys-file", settings.frontend_keys_file},
      "the first encrypts, the second names the frontends that may connect",
      [&stamp](const std::string& path) {
        stamp = StampOf(path);  // before the read: a change made meanwhile is read again
        return FrontendKeys::LoadFile(path);
      });
  if (!keys) return Error{keys.error()};
  if (!*keys) return std::optional<ShardCurve>();
  return std::optional<ShardCurve>(ShardCurve{std::move(**keys), stamp});
}

// The files are loaded whole, whatever the limits: a restart never drops state. Say so when they
// reach one, since the shard will then refuse every new torrent or peer.
void WarnIfAtLimits(std::uint32_t index, const SwarmStore& store, const ShardLimits& limits) {
  if (!ShardLimits::Reached(limits.max_torrents, store.active_torrents()) &&
      !ShardLimits::Reached(limits.max_peers, store.peers())) {
    return;
  }
  spdlog::warn(
      "shard {}: its files hold {} torrents with peers and {} peers, reaching --max-torrents {} "
      "or --max-peers {}: new torrents or peers are refused until expiry makes room (raise the "
      "limits to take them now)",
      index, store.active_torrents(), store.peers(), limits.max_torrents, limits.max_peers);
}

// The start-up line of what was recovered: a warning when something was lost or may have been,
// or when no file was found (expected only at a shard's very first start).
void LogRecovery(const ShardSettings& settings, const StoreLoad& recovery) {
  if (recovery.files_lost > 0) {
    spdlog::warn(
        "shard {}: {} (what a quarantined or missing file held may be lost: keep what is left, "
        "and see docs/persistence.md)",
        settings.index, recovery.summary);
  } else if (recovery.torn_tail_bytes > 0) {
    spdlog::warn(
        "shard {}: {} (the end of a journal was cut: expected after a crash or power loss while "
        "it was written, whose clients were not answered; otherwise check the disk)",
        settings.index, recovery.summary);
  } else if (recovery.fresh_start) {
    spdlog::warn(
        "shard {}: {}: expected at its first start; if it has run before, {} is not the "
        "directory it used (a volume not mounted?): stop it and fix --data-dir, or it serves "
        "none of its torrents",
        settings.index, recovery.summary, settings.data_dir);
  } else {
    spdlog::info("shard {}: {}", settings.index, recovery.summary);
  }
}

// A node's shards listen on inproc://: no connections come from outside the process.
bool TakesConnections(const ShardSettings& settings) {
  return !settings.listen.starts_with("inproc://");
}

// Each connection to --listen holds a descriptor, a frontend's or, until --handshake-timeout,
// anyone's who reaches the port: at systemd's default soft limit of 1,024 a few hundred silent
// connections would refuse new frontends and the snapshot's pipe, so take what the hard limit
// allows, as a frontend does for its clients.
void RaiseOpenFilesForConnections(const ShardSettings& settings) {
  if (!TakesConnections(settings)) return;
  constexpr std::uint64_t kWanted = 65'536;
  auto limit = RaiseOpenFileLimit(kWanted);
  if (limit.ok() && *limit < kWanted) {
    spdlog::info(
        "the open-file limit is {} (the hard limit): beyond about {} connections to --listen "
        "wait to be accepted; raise it (ulimit -n, LimitNOFILE=) to take more",
        *limit, *limit - kMinOpenFiles);
  }
}

// Only the sweep removes a silent peer, so one may stay listed for up to a lap past its time.
void WarnOfALapLongerThanThePeerTimeout(const ShardSettings& settings) {
  const auto lap =
      std::chrono::duration_cast<std::chrono::seconds>(ExpiryOptionsFrom(settings).max_lap).count();
  if (lap <= settings.peer_timeout) return;
  spdlog::warn(
      "shard {}: --expire-lap {} s is longer than --peer-timeout {} s: a silent peer may stay "
      "listed and handed out for up to {} s; lower --expire-lap",
      settings.index, lap, settings.peer_timeout, lap + settings.peer_timeout);
}

}  // namespace

// Both ports are held at once, so that one port given to both is refused too.
Status ShardRuntime::CheckPorts(const ShardSettings& settings) {
  auto listen = HoldZmqBindPort("--listen", settings.listen);
  if (!listen) return Error{listen.error()};
  auto metrics = HoldMetricsListen(settings.metrics_listen);
  if (!metrics) return Error{metrics.error()};
  return OkStatus();
}

// Under --on-corrupt=quarantine each shard goes on without what is missing, so none is refused.
Status ShardRuntime::CheckLayoutStartsWhole(const ShardSettings& settings) {
  if (settings.on_corrupt != OnCorrupt::kRefuse) return OkStatus();
  // Before reading: the files of a layout still running there are not missing, only in use.
  if (Status free = DataDirLock::CheckNoneRunsBut(settings.data_dir, settings.count); !free) {
    return free;
  }
  PosixFileOps files;
  auto refused = StartsRefused(files, settings.data_dir, settings.count);
  if (!refused || refused->empty()) return OkStatus();  // the load says what it cannot read
  const std::string others =
      refused->size() > 1 ? "; " + std::to_string(refused->size() - 1) + " more likewise" : "";
  return Error{"cannot start from " + settings.data_dir + ": " + refused->front() + others +
               "; so no shard of " + std::to_string(settings.count) +
               " starts and nothing is written, and going back to the old count stays open"};
}

ShardRuntime::ShardRuntime(OnlyOpen, const ShardSettings& settings, const Clock& clock)
    : settings_(settings),
      clock_(clock),
      store_(settings.store_peer_ids, RandomSipHashKey()),
      ledger_(RandomSipHashKey(), settings.peer_timeout) {
  ledger_.SetMaxClients(settings.max_peers, settings.max_clients_per_member);
  ledger_.SetMaxCreditRate(settings.max_credit_rate);
}

Result<ShardPlan> ShardRuntime::Plan(const ShardSettings& settings) {
  if (settings.index >= settings.count) {
    return Error{"--index " + std::to_string(settings.index) + " must be below --count " +
                 std::to_string(settings.count)};
  }
  if (settings.data_dir.empty()) return Error{"--data-dir must name a directory"};
  WarnOfALapLongerThanThePeerTimeout(settings);
  if (Status listen = CheckListen(settings); !listen) return Error{listen.error()};
  std::optional<OtherListener> zmq;
  if (auto bound = TcpBindEndpoint(settings.listen)) zmq = OtherListener{"--listen", *bound};
  if (Status metrics = CheckMetricsListen(settings.metrics_listen, zmq); !metrics) {
    return Error{metrics.error()};
  }
  auto snapshot_cpus = SnapshotCpusFrom(settings, get_nprocs_conf());
  if (!snapshot_cpus) return Error{snapshot_cpus.error()};
  auto curve = LoadShardCurve(settings);
  if (!curve) return Error{curve.error()};
  if (Status enough = RequireOpenFiles(kMinOpenFiles); !enough) return Error{enough.error()};
  return ShardPlan{ExpiryOptionsFrom(settings), std::move(*snapshot_cpus), std::move(*curve)};
}

Result<std::unique_ptr<ShardRuntime>> ShardRuntime::Open(EventLoop& loop, zmq::context_t& context,
                                                         const ShardSettings& settings,
                                                         ShardPlan plan, const Clock& clock) {
  RaiseOpenFilesForConnections(settings);
  auto shard = std::make_unique<ShardRuntime>(OnlyOpen{}, settings, clock);
  const PersistenceOptions options{
      settings.data_dir,     settings.index,     settings.count,           settings.on_corrupt,
      settings.peer_timeout, plan.snapshot_cpus, settings.sync_completions};
  auto persistence = ShardPersistence::Open(
      shard->files_, options, clock.WallNow(), shard->store_,
      [&](const StoreLoad& loaded) { return shard->OpenAccounting(loop, loaded); });
  if (!persistence) {
    return Error{"cannot start from " + settings.data_dir + ": " + persistence.error()};
  }
  shard->persistence_ = std::move(*persistence);
  LogRecovery(settings, shard->persistence_->recovery());
  // The loader's temporaries are freed by now, and LoadIntoStore handed most of their pages back
  // as it went; glibc keeps the rest (up to half of what was freed since its last trim), and
  // every snapshot's fork would copy their page tables. Hand those back too.
  ReturnFreedMemory();

  const ShardLimits limits{settings.max_torrents, settings.max_peers};
  shard->service_ = std::make_unique<ShardService>(settings.index, settings.count, shard->store_,
                                                   std::random_device{}(), limits);
  WarnIfAtLimits(settings.index, shard->store_, limits);
  try {  // sockets, an eventfd and two threads: each may be refused
    shard->server_ =
        std::make_unique<ShardServer>(loop, context, settings, shard->store_, *shard->service_);
    if (TakesConnections(settings)) {
      shard->watch_ = std::make_unique<ConnectionWatch>(loop, context, plan.curve.has_value());
    }
  } catch (const std::exception& error) {
    return Error{std::string("cannot set up the shard's socket and workers: ") + error.what() +
                 " (raise the open-file limit, or run fewer shards)"};
  }
  if (plan.curve) {
    shard->frontend_keys_ = FrontendKeys(std::move(plan.curve->keys.theirs));
    shard->zap_ = std::make_unique<ZapHandler>(loop, context, shard->frontend_keys_);
    shard->keys_reloader_ = std::make_unique<ListFileReloader<FrontendKeys>>(
        loop, settings.frontend_keys_file, std::chrono::seconds(settings.frontend_keys_interval),
        plan.curve->keys_stamp, shard->frontend_keys_);
    shard->server_->UseCurve(plan.curve->keys.own.secret_key, shard->frontend_keys_);
    spdlog::info("shard {}: CURVE on, {} frontend keys admitted; the shards' public key is {}",
                 settings.index, shard->frontend_keys_.entries(),
                 plan.curve->keys.own.public_key.ToHex());
  }
  shard->service_->SetCredits(shard->accounting_.get());
  shard->server_->SetTurnLog(shard->accounting_.get());
  WarnIfOthersMayRead("", JoinPath(settings.data_dir, kAccountingDir),
                      "the accounting files in it name members' passkeys");
  shard->server_->SetDurability(shard->persistence_.get());
  shard->server_->SetBackgroundSnapshot(*shard->persistence_);
  shard->expiry_ =
      std::make_unique<ExpiryTimer>(loop, plan.expiry, shard->store_, shard->server_->commit());
  return shard;
}

Status ShardRuntime::OpenAccounting(EventLoop& loop, const StoreLoad& loaded) {
  const AccountingFlusher::Options options{
      JoinPath(settings_.data_dir, kAccountingDir),
      settings_.index,
      settings_.count,
      std::chrono::seconds(settings_.accounting_interval),
      settings_.peer_timeout,
      loaded.max_generation + 1};  // the first snapshot's, written next
  accounting_ = std::make_unique<AccountingFlusher>(loop, files_, options, ledger_);
  return accounting_->LoadSavedBaselines(loaded.sets);
}

Result<std::string> ShardRuntime::Start() {
  // Both before the socket takes its first connection.
  if (watch_) {
    if (Status watching = watch_->Start(server_->socket()); !watching) {
      return Error{watching.error()};
    }
  }
  if (zap_) {
    if (Status started = zap_->Start(); !started) return Error{started.error()};
    keys_reloader_->Start();
  }
  auto endpoint = server_->Bind();
  if (endpoint.ok()) {
    expiry_->Start();
    server_->Start();
    accounting_->Start();
  }
  return endpoint;
}

void ShardRuntime::RegisterMetrics(MetricsRegistry& registry) const {
  RegisterShardMetrics(registry, settings_.index, settings_.count, store_, *service_, *server_,
                       expiry_->stats());
  RegisterPersistenceMetrics(registry, settings_.index, *persistence_, clock_);
  accounting_->RegisterMetrics(registry);
  const std::string shard = std::to_string(settings_.index);
  if (watch_) {
    const char* name = "shardtrack_shard_connection_failures_total";
    const char* help =
        "Connections to the shard's --listen that never became a frontend's: not accepted (out "
        "of descriptors), or whose ZeroMQ handshake failed.";
    registry.AddCounter(name, help, {{"shard", shard}, {"stage", "accept"}},
                        [this] { return watch_->accept_failures(); });
    registry.AddCounter(name, help, {{"shard", shard}, {"stage", "handshake"}},
                        [this] { return watch_->handshake_failures(); });
  }
  if (zap_) {
    const char* name = "shardtrack_curve_handshakes_total";
    const char* help =
        "Frontends' CURVE handshakes: admitted, refused (a key not listed), or failed before "
        "showing a key (no CURVE, or another shard key).";
    registry.AddCounter(name, help, {{"shard", shard}, {"result", "admitted"}},
                        [this] { return zap_->admitted(); });
    registry.AddCounter(name, help, {{"shard", shard}, {"result", "refused"}},
                        [this] { return zap_->refused(); });
    registry.AddCounter(name, help, {{"shard", shard}, {"result", "failed"}},
                        [this] { return watch_ ? watch_->handshake_failures() : 0; });
    registry.AddGauge("shardtrack_frontend_keys", "Frontend keys in --frontend-keys-file in force.",
                      {{"shard", shard}}, [this] { return double(frontend_keys_.entries()); });
    AddReloadCounters(registry, "shardtrack_frontend_keys_reloads_total", frontend_keys_,
                      {{"shard", shard}});
  }
}

void ShardRuntime::ReloadFrontendKeys() {
  if (!keys_reloader_) return spdlog::info("SIGHUP: no --frontend-keys-file to reload");
  keys_reloader_->Reload();
}

bool ShardRuntime::Stop() {
  expiry_->Stop();
  server_->Close();
  const bool accounted = accounting_->Close();
  if (volume_lost()) {
    spdlog::error(
        "shard {}: no final snapshot: {} is not on the volume its files are on, which "
        "keep every change (exit status {}: mount it again, then start the shard)",
        settings_.index, settings_.data_dir, kExitVolumeLost);
    return false;
  }
  if (Status saved = persistence_->SaveSnapshot(store_, clock_.WallNow()); !saved) {
    spdlog::error("shard {}: final snapshot failed: {} (the journal keeps every change)",
                  settings_.index, saved.error());
    return false;
  }
  spdlog::info("stopped: shard {} saved {} torrents and {} peers", settings_.index,
               store_.torrents(), store_.peers());
  return accounted && !server_->commit_failed();
}

int StopShards(std::span<const std::unique_ptr<ShardRuntime>> shards, int code) {
  bool saved = true;
  bool volume_lost = false;
  for (const auto& shard : shards) {
    saved = shard->Stop() && saved;
    volume_lost = volume_lost || shard->volume_lost();
  }
  return volume_lost ? kExitVolumeLost : saved ? code : 1;
}

}  // namespace shardtrack

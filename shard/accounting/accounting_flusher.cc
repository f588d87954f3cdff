#include "shard/accounting/accounting_flusher.h"

#include <spdlog/spdlog.h>

#include <random>
#include <utility>

#include "shard/accounting/accounting_file.h"
#include "shard/accounting/baseline_file.h"

namespace shardtrack {

AccountingFlusher::AccountingFlusher(EventLoop& loop, FileOps& files, Options options,
                                     TransferLedger& ledger)
    : loop_(loop),
      files_(files),
      options_(std::move(options)),
      ledger_(ledger),
      sequence_(std::random_device{}()),
      worker_(loop) {}

AccountingFlusher::~AccountingFlusher() {
  loop_.Cancel(timer_);
  loop_.Cancel(expiry_timer_);
}

void AccountingFlusher::Start() {
  timer_ = loop_.RunAfter(options_.interval, [this] { OnTimer(); });
  expiry_timer_ = loop_.RunAfter(kExpirySlice, [this] { OnExpiryTimer(); });
}

void AccountingFlusher::OnExpiryTimer() {
  expiry_timer_ = loop_.RunAfter(kExpirySlice, [this] { OnExpiryTimer(); });
  ledger_.ExpireSlice(loop_.clock().WallNow() - options_.peer_timeout, kExpiryLap);
}

void AccountingFlusher::OnTimer() {
  timer_ = loop_.RunAfter(options_.interval, [this] { OnTimer(); });
  if (ledger_.empty() || worker_.busy()) return;
  TakeForWrite();
  worker_.Start(
      [this, now = loop_.clock().WallNow(), key = ledger_.client_key()] { return Write(now, key); },
      [this](Status status) { OnWritten(status); });
}

void AccountingFlusher::TakeForWrite() {
  writing_ = ledger_.TakeTable();
  saving_ = ledger_.Baselines();
}

Status AccountingFlusher::Write(UnixSeconds now, const SipHashKey& client_key) {
  std::vector<TransferLedger::Entry> entries = TransferLedger::Entries(writing_);
  writing_ = {};
  if (Status saved = SaveBaselinesFirst(client_key); !saved) {
    failed_ = std::move(entries);
    return saved;
  }
  auto written = WriteAccountingFile(files_, options_.dir, options_.shard, now, sequence_, entries);
  if (!written) {
    failed_ = std::move(entries);
    return Error{written.error()};
  }
  spdlog::debug("shard {}: accounting of {} members' torrents in {}", options_.shard,
                entries.size(), *written);
  return OkStatus();
}

// On disk the baselines must never be older than the newest accounting file: a start after a
// crash would credit again what that file holds. So they are saved first, or else removed.
Status AccountingFlusher::SaveBaselinesFirst(const SipHashKey& client_key) {
  const auto baselines = std::exchange(saving_, {});
  const Status saved = SaveBaselines(files_, options_.dir, Run(), client_key, baselines);
  baselines_saved_ = saved.ok();
  if (saved) return OkStatus();
  if (Status removed = RemoveBaselines(files_, options_.dir, options_.shard, options_.shard_count);
      !removed) {
    return Error{"cannot save the peers' baselines (" + saved.error() +
                 ") nor remove the old ones (" + removed.error() + ")"};
  }
  spdlog::warn(
      "shard {}: cannot save the accounting's peer baselines: {} (the old ones are removed; "
      "after a crash each peer's next announce starts its counting again)",
      options_.shard, saved.error());
  return OkStatus();
}

void AccountingFlusher::Settle(const Status& status) {
  if (status) {
    ++counters_.files_written;
  } else {
    ++counters_.failures;
    ledger_.Restore(std::exchange(failed_, {}));
  }
}

void AccountingFlusher::OnWritten(const Status& status) {
  Settle(status);
  if (status) return;
  spdlog::error(
      "shard {}: cannot write an accounting file: {}; its totals are kept and written with the "
      "next one (free space in, or fix the permissions of, {})",
      options_.shard, status.error(), options_.dir);
}

Status AccountingFlusher::Flush() {
  worker_.Wait();
  if (ledger_.empty()) return OkStatus();
  TakeForWrite();
  const Status status = Write(loop_.clock().WallNow(), ledger_.client_key());
  Settle(status);
  return status;
}

Status AccountingFlusher::LoadSavedBaselines(const std::vector<FileSet>& sets) {
  auto loaded = LoadBaselines(files_, options_.dir, Run(), sets,
                              loop_.clock().WallNow() - options_.peer_timeout, ledger_);
  if (!loaded) return Error{"accounting baselines: " + loaded.error()};
  if (!loaded->unread.empty()) {
    spdlog::warn(
        "shard {}: accounting baselines not all loaded: {} (those peers' next announces "
        "start their counting again)",
        options_.shard, loaded->unread);
  }
  if (loaded->loaded > 0) {
    spdlog::info("shard {}: accounting goes on from {} peers' saved counters", options_.shard,
                 loaded->loaded);
  }
  return OkStatus();
}

bool AccountingFlusher::Close() {
  worker_.Wait();
  if (!ledger_.empty()) {  // the baselines, then the last file
    if (const Status flushed = Flush(); !flushed) {
      spdlog::error(
          "shard {}: the last accounting file failed: {} (its totals, and those of earlier "
          "files that failed, are lost)",
          options_.shard, flushed.error());
      return false;
    }
    if (baselines_saved_) return true;
  } else if (ledger_.baselines() == 0) {
    return true;
  }
  // Nothing was credited since the last file (or its baselines could not be saved with it):
  // they match it.
  if (Status saved = SaveBaselines(files_, options_.dir, Run(), ledger_); !saved) {
    spdlog::error(
        "shard {}: cannot save the accounting's peer baselines: {} (after the restart each "
        "peer's next announce starts its counting again)",
        options_.shard, saved.error());
    return false;
  }
  return true;
}

void AccountingFlusher::RegisterMetrics(MetricsRegistry& registry) const {
  const MetricLabels shard = {{"shard", std::to_string(options_.shard)}};
  registry.AddCounter("shardtrack_accounting_files_total",
                      "Accounting files written (members' transfer, for the site to import).",
                      shard, [this] { return counters_.files_written; });
  registry.AddCounter("shardtrack_accounting_failures_total",
                      "Accounting files that could not be written (their totals wait for the "
                      "next).",
                      shard, [this] { return counters_.failures; });
  registry.AddGauge("shardtrack_accounting_peers",
                    "Clients (a member's peer id on a torrent) whose transfer counters the "
                    "accounting follows, at most --max-peers.",
                    shard, [this] { return double(ledger_.baselines()); });
  registry.AddCounter("shardtrack_accounting_full_total",
                      "Announces of clients the accounting had no room to follow (it holds "
                      "--max-peers): counted, not credited, until expiry makes room.",
                      shard, [this] { return ledger_.refused_clients(); });
  registry.AddCounter("shardtrack_accounting_capped_total",
                      "Announces whose transfer was credited only up to --max-credit-rate: their "
                      "clients claimed more.",
                      shard, [this] { return ledger_.capped_credits(); });
}

}  // namespace shardtrack

// AccountingFlusher: a shard's accounting files. It hands the TransferLedger's totals to the site
// as an accounting file (accounting_file.h) every `interval` and on Close (shutdown), each just
// after the peers' baselines as they stood when the totals were taken (baseline_file.h), which
// LoadSavedBaselines loads at the next start, after a stop or a crash. The loop only takes the
// ledger's table (at once, whatever its size) and copies its baselines; a BackgroundWorker thread
// saves those, sorts the table, writes and syncs the file and frees the table: at a million
// peers, sorting and freeing 100,000 members' torrents held the loop ~100 ms. One write at a time:
// a tick that finds one running leaves the totals to gather for the next. A file that cannot be
// written is logged as an error and its totals go back to the ledger, so a full disk delays
// accounting but loses none of it. Every second it also forgets, in one slice of the ledger, the
// baselines of peers silent for longer than the peer timeout, going round them all each kExpiryLap.
// Loop thread only; borrows the loop, the FileOps (used by the worker thread while a write runs)
// and the ledger, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/accounting/baseline_file.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/loading_set.h"

namespace shardtrack {

class AccountingFlusher {
 public:
  static constexpr Duration kExpirySlice = std::chrono::seconds(1);
  static constexpr int kExpiryLap = 60;  // slices

  struct Options {
    std::string dir;  // <data-dir>/accounting
    std::uint32_t shard = 0;
    std::uint32_t shard_count = 1;
    Duration interval = std::chrono::seconds(60);
    std::int64_t peer_timeout = 2700;  // seconds: baselines older than this are forgotten
    std::uint64_t run_generation = 0;  // this run's first snapshot's: its baselines carry it
  };
  struct Counters {
    std::uint64_t files_written = 0;
    std::uint64_t failures = 0;
  };

  AccountingFlusher(EventLoop& loop, FileOps& files, Options options, TransferLedger& ledger);
  ~AccountingFlusher();
  AccountingFlusher(const AccountingFlusher&) = delete;
  AccountingFlusher& operator=(const AccountingFlusher&) = delete;

  // Writes every `interval` from now on.
  void Start();
  // Writes what the ledger holds now, on the calling thread, after a write in progress
  // (nothing when it holds nothing).
  Status Flush();
  // At start, before this run's first snapshot: the baselines saved with the last accounting
  // file or at a stop (LoadBaselines; `sets`: those the state load read), if any. A damaged or
  // unreadable file is logged; an error (this shard's file could be neither brought up to date
  // nor removed) must stop the start.
  Status LoadSavedBaselines(const std::vector<FileSet>& sets);
  // At shutdown: the peers' baselines for the next start, then the last file. False when
  // either failed (logged).
  bool Close();
  const Counters& counters() const { return counters_; }
  // Its files and failures, and the ledger's baselines, labelled with the shard's index.
  void RegisterMetrics(MetricsRegistry& registry) const;

 private:
  ShardRun Run() const { return {options_.shard, options_.shard_count, options_.run_generation}; }
  void OnTimer();
  void OnExpiryTimer();
  // Takes the ledger's totals and a copy of its baselines for Write.
  void TakeForWrite();
  // The worker's job: saves saving_ (SaveBaselinesFirst), then sorts, writes and frees writing_;
  // on failure keeps its entries.
  Status Write(UnixSeconds now, const SipHashKey& client_key);
  Status SaveBaselinesFirst(const SipHashKey& client_key);
  void OnWritten(const Status& status);
  // Counts a write; a failed one's totals go back to the ledger.
  void Settle(const Status& status);

  EventLoop& loop_;
  FileOps& files_;
  const Options options_;
  TransferLedger& ledger_;
  std::uint64_t
      sequence_;  // the next file's number (random at start); the worker's while it writes
  Counters counters_;
  TimerId timer_ = 0;
  TimerId expiry_timer_ = 0;
  // The worker's while a write runs: the table taken, the baselines when it was taken, and the
  // entries of a failed write.
  TransferLedger::TotalsTable writing_;
  std::vector<TransferLedger::PeerBaseline> saving_;
  bool baselines_saved_ = true;  // by the last write: else they were removed
  std::vector<TransferLedger::Entry> failed_;
  BackgroundWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace shardtrack

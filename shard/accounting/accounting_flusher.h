// AccountingFlusher: a shard's accounting. Each announce the service credits (Credit) goes to the
// TransferLedger and to the credit log (credit_log.h), the shard server's TurnLog: written by
// WriteLog before the turn's replies, synced with the journal before a completion's reply.
//
// It hands the ledger's totals to the site as an accounting file (accounting_file.h) every
// `interval` and on Close (shutdown): the file is prepared under a temporary name, then the
// peers' baselines as they stood when the totals were taken (baseline_file.h) are saved naming
// the last credit log they include (the commit), then the file gets its name and those logs are
// removed. LoadSavedBaselines loads the baselines at the next start, after a stop or a crash,
// hands over a committed file still waiting, replays the logs after them and commits that: a
// kill -9 loses nothing credited, and nothing is credited twice (after a resize too:
// layout_credits.h).
//
// The loop only takes the ledger's table (at once, whatever its size) and copies its baselines; a
// BackgroundWorker thread saves those, sorts the table, writes and syncs the file and frees the
// table: at a million peers, sorting and freeing 100,000 members' torrents held the loop ~100 ms.
// One write at a time: a tick that finds one running leaves the totals to gather for the next. A
// file that cannot be written, or whose baselines cannot be saved, is logged as an error and its
// totals go back to the ledger (and their logs stay), so a full disk delays accounting but loses
// none of it. Every second it also forgets, in one slice of the ledger, the baselines of peers
// silent for longer than the peer timeout, going round them all each kExpiryLap.
//
// Loop thread only; borrows the loop, the FileOps (used by the worker thread while a write runs)
// and the ledger, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/log_throttle.h"
#include "common/metrics.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/accounting/baseline_file.h"
#include "shard/accounting/credit_log.h"
#include "shard/accounting/credit_recorder.h"
#include "shard/accounting/layout_credits.h"
#include "shard/accounting/transfer_ledger.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/loading_set.h"
#include "shard/turn_log.h"

namespace shardtrack {

class AccountingFlusher final : public CreditRecorder, public TurnLog {
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
    std::uint64_t log_failures = 0;  // credit log writes and syncs
  };

  AccountingFlusher(EventLoop& loop, FileOps& files, Options options, TransferLedger& ledger);
  ~AccountingFlusher() override;
  AccountingFlusher(const AccountingFlusher&) = delete;
  AccountingFlusher& operator=(const AccountingFlusher&) = delete;

  // Writes every `interval` from now on.
  void Start();
  // Credits the ledger and logs the announce (buffered until WriteLog).
  void Credit(const PeerAnnounce& announce, std::string_view passkey, std::uint64_t uploaded,
              std::uint64_t downloaded, bool completion_counted, UnixSeconds now) override;
  // Writes the announces credited since the last call to the credit log: before the replies of
  // the turn that credited them go out, so that no client is answered before its credit would
  // survive a kill -9. A failure is logged; the ledger still holds them.
  void WriteLog() override;
  // The credit log's sync (CreditLog::PrepareSync); a failure is logged and counted like a
  // failed write.
  std::function<Status()> PrepareLogSync() override { return log_.PrepareSync(); }
  void LogSynced(const Status& status) override { NoteLogWrite(status); }
  // What the ledger holds since the last file (a file and the baselines), or the baselines
  // alone, written at once into the directory made again; the credit log starts a new file there.
  void FilesVanished() override;
  // Writes what the ledger holds now, on the calling thread, after a write in progress
  // (nothing when it holds nothing).
  Status Flush();
  // At start, before this run's first snapshot: the baselines saved with the last accounting
  // file or at a stop (LoadBaselines; `sets`: those the state load read), if any, and then the
  // credit logs after them. A damaged or unreadable file is logged; an error (this shard's file
  // could be neither brought up to date nor removed) must stop the start.
  Status LoadSavedBaselines(const std::vector<FileSet>& sets);
  // At shutdown: the peers' baselines for the next start, then the last file. False when
  // either failed (logged; the credit logs keep its totals for the next start).
  bool Close();
  const Counters& counters() const { return counters_; }
  // Its files and failures, and the ledger's baselines, labelled with the shard's index.
  void RegisterMetrics(MetricsRegistry& registry) const;

 private:
  ShardRun Run() const { return {options_.shard, options_.shard_count, options_.run_generation}; }
  void OnTimer();
  void OnExpiryTimer();
  void NoteLogWrite(const Status& status);
  // Starts the next credit log and takes the ledger's totals and a copy of its baselines for
  // Write. Returns the number of the last log they include.
  std::uint64_t TakeForWrite();
  // The worker's job: saves saving_ (they never lag behind a file), then sorts, writes and frees
  // writing_; on failure keeps its entries.
  Status Write(UnixSeconds now, const SipHashKey& client_key, std::uint64_t through);
  void OnWritten(const Status& status, std::uint64_t through);
  // Counts a write; a failed one's totals go back to the ledger, a written one's logs go.
  void Settle(const Status& status, std::uint64_t through);
  // Removes the credit logs up to `through` (what the baselines on disk include).
  void RemoveLogsThrough(std::uint64_t through);
  // The temporary name of the file that takes up the credit logs up to `through`.
  NumberedShardFile Prepared(std::uint64_t through) const;
  // Gives the committed file still under its temporary name, if any, its final name. False while
  // it cannot (logged).
  bool HandOverPrepared();
  void ReportHandOverFailure();
  // At start: hands over the file the saved baselines (through `through`) committed, if it is
  // still prepared, and removes the others, never committed. Returns the highest number among
  // them.
  std::uint64_t SettlePrepared(std::uint64_t through);
  // At start, before the baselines load: the credit logs other shard counts left, of the
  // layouts this shard finishes.
  bool FinishesFor(const ShardLayout& layout) const;
  // Those it cannot finish are removed; an error (they cannot be either) must stop the start.
  Status FinishOtherCounts();
  void ReportFinished(const ShardLayout& layout, const FinishedCredits& finished);
  Status DropUnfinished(const ShardLayout& layout, const std::string& why);
  // At start, after a replay: an error when announces were skipped and could not be committed.
  Status CommitReplayed(bool some_skipped);
  // Starts the next credit log and saves the baselines through the last, then removes those
  // logs: a commit without a file, when the ledger holds no totals.
  Status SaveBaselinesAlone();

  EventLoop& loop_;
  FileOps& files_;
  const Options options_;
  TransferLedger& ledger_;
  std::uint64_t
      sequence_;  // the next file's number (random at start); the worker's while it writes
  Counters counters_;
  TimerId timer_ = 0;
  TimerId expiry_timer_ = 0;
  LogThrottle log_errors_;
  LogThrottle handover_errors_;
  CreditLog log_;
  // The worker's while a write runs: the table taken, the baselines when it was taken, and the
  // entries of a failed write.
  TransferLedger::TotalsTable writing_;
  std::vector<TransferLedger::PeerBaseline> saving_;
  std::vector<TransferLedger::Entry> failed_;
  // A committed file still under its temporary name, and why; the worker's while a write runs.
  std::optional<std::uint64_t> prepared_;
  bool baselines_synced_ = true;  // the last saved baselines' directory sync went
  std::string handover_error_;
  BackgroundWorker worker_;  // last: its thread stops before the members it uses go
};

}  // namespace shardtrack

// ShardPersistence: one shard's share of the dfile. At start it loads what the routing function
// gives this shard from every file in the data directory (state_loader.h), writes a first
// snapshot one generation above all it read and opens a fresh journal. While serving, every
// handled batch's peer changes and counted completions go to the journal, written once per
// reactor turn before the turn's replies are sent, and synced (ReplyDurability) before a
// completion's reply; a periodic and a final snapshot replace the journal.
//
// The periodic snapshot runs beside the loop (BackgroundSnapshot): a forked child writes and
// syncs the temp file of generation G+1 from its copy-on-write image of the store, while the
// journal of G keeps taking changes and keeps a copy of those since the fork. When the child has
// succeeded, the journal of G+1 is created holding that copy (records are absolute: replaying one
// the snapshot holds changes nothing), then the snapshot is installed. A crash between the two
// leaves snapshot G, `.journal.prev` (after G) and `.journal` (after G+1): the loader replays
// both (state_loader.h). When the child fails, the temp file is removed and G stays in force.
// The new journal's creation unlinks the oldest journal (`.journal.prev`) and the install the
// oldest snapshot (`.prev`), but both stay open: closing a file frees its blocks, which for a
// large file is slow, so TakeCleanup() hands the closes to another thread. Snapshots written on
// the loop (SaveSnapshot) and journals started there (OpenJournal) free what they replace right
// away.
//
// Holds the data directory's lock (data_dir_lock.h) from before it reads a file until it is
// destroyed. Owns its JournalWriter and the snapshot child; the FileOps and the SwarmStore belong
// to the caller. Loop thread only, except a PrepareSync() or TakeCleanup() job, which may run on
// another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "proto/shardtrack.pb.h"
#include "shard/background_snapshot.h"
#include "shard/persistence/data_dir_lock.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/load_into_store.h"
#include "shard/persistence/snapshot_child.h"
#include "shard/persistence/snapshot_file.h"
#include "shard/persistence/state_loader.h"
#include "shard/reply_durability.h"
#include "shard/shard_service.h"
#include "shard/swarm_store.h"

namespace shardtrack {

struct PersistenceOptions {
  std::string data_dir;
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  OnCorrupt on_corrupt = OnCorrupt::kRefuse;
  std::int64_t peer_timeout = 2700;  // peers loaded already this old are dropped
  std::vector<int> snapshot_cpus;    // where a snapshot child runs; empty: the shard's CPUs
  bool sync_completions = true;      // false: written completions are never waiting for a sync
};

// What metrics show of persistence. Durations are wall time spent in the file operations.
struct PersistenceStats {
  UnixSeconds last_snapshot_at = 0;  // wall time of the last good snapshot
  double last_snapshot_seconds = 0;  // a background one: from the fork to the install
  double last_fork_seconds = 0;      // what the last background snapshot paused the loop
  std::uint64_t last_snapshot_bytes = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t snapshot_failures = 0;
  std::uint64_t snapshot_affinity_failures = 0;  // children that could not move to snapshot_cpus
  UnixSeconds last_commit_at = 0;                // wall time of the last journal write with records
  double last_commit_seconds = 0;                // of the last journal write (no sync)
  std::uint64_t commits = 0;
  std::uint64_t commit_failures = 0;  // writes and syncs that failed
  double last_sync_seconds = 0;       // from PrepareSync to Synced: what a completion waited
  std::uint64_t syncs = 0;
};

class ShardPersistence final : public ReplyDurability, public BackgroundSnapshot {
  struct OnlyOpen {  // a key only Open can make: the constructor is public for make_unique
    explicit OnlyOpen() = default;
  };

 public:
  // Loads into `store` (empty), then writes the first snapshot and journal. Fails, naming the
  // file and the --on-corrupt choices, when a file is corrupt and the policy is to refuse.
  // `before_first_snapshot` runs in between, with what was loaded: what must be settled before
  // this run's snapshot outranks the files it read (the accounting's baselines); its error fails
  // the open.
  static Result<std::unique_ptr<ShardPersistence>> Open(
      FileOps& ops, const PersistenceOptions& options, UnixSeconds now, SwarmStore& store,
      const std::function<Status(const StoreLoad&)>& before_first_snapshot = {});
  ShardPersistence(OnlyOpen, FileOps& ops, PersistenceOptions options)
      : ops_(ops), options_(std::move(options)) {}

  // Queues journal records for one handled batch: each accepted announce's peer (upsert, or
  // removal on `stopped`) and each counted completion.
  void Record(const std::vector<PeerAnnounce>& applied,
              const std::vector<CountedCompletion>& completions, UnixSeconds now) override;
  void RecordForgotten(const std::vector<InfoHash>& forgotten) override;
  // ReplyDurability. Write() puts the queued records in the journal file. PrepareSync() is only
  // called when NeedsSync(), and its job must be finished before SaveSnapshot().
  Status Write() override;
  bool NeedsSync() const override {
    return options_.sync_completions && journal_ && journal_->needs_sync();
  }
  bool SyncsCompletions() const override { return options_.sync_completions; }
  std::function<Status()> PrepareSync() override;
  void Synced(const Status& status) override;
  // Write(), then a sync right here when NeedsSync().
  Status Commit();
  // Writes a snapshot of `store` at the next generation, then starts a journal after it, right
  // here (after finishing a background snapshot that runs). On a failure the previous snapshot
  // and journal stay in force.
  Status SaveSnapshot(const SwarmStore& store, UnixSeconds now);
  // BackgroundSnapshot (see the top). StartSnapshot first writes the queued records.
  Result<int> StartSnapshot(const SwarmStore& store, UnixSeconds now) override;
  Status FinishSnapshot() override;
  std::function<Status()> TakeCleanup() override;
  void AbandonSnapshot() override;
  Result<std::string> RestoreMissingFiles() override;
  bool snapshot_running() const { return child_ != nullptr; }
  // RestoreMissingFiles found the data directory off its filesystem (an unmounted volume): no
  // file may be written there any more, the final snapshot included.
  bool volume_lost() const { return volume_lost_; }

  // What the start loaded, and what it found wrong.
  const StoreLoad& recovery() const { return recovery_; }
  std::uint64_t generation() const { return generation_; }
  const PersistenceStats& stats() const { return stats_; }

 private:
  FileHeader Header(std::uint64_t generation, UnixSeconds now) const;
  Status OpenJournal(UnixSeconds now);
  Status WriteQueued();
  Status WriteSnapshotAndRotate(const SwarmStore& store, UnixSeconds now);
  // After the child succeeded: its counts, then the journal of the new generation (holding the
  // copy of the changes since the fork), then FinishSnapshot installs the snapshot.
  static Result<SnapshotStats> DecodeChildCounts(const std::string& child_result);
  Status StartJournalOfChild();
  // Keeps an unlinked file (if any) for TakeCleanup()'s job.
  void Retire(std::unique_ptr<UnlinkedFile> file);
  // The result of a directory sync after renames in it (a journal's or a snapshot's): a failed
  // one is logged and retried before each write (SyncDirectoryIfDue) until one succeeds.
  void NoteDirectorySync(const Status& synced);
  void SyncDirectoryIfDue();

  FileOps& ops_;
  PersistenceOptions options_;
  std::unique_ptr<DataDirLock> lock_;  // held while the shard runs
  bool volume_lost_ = false;
  bool directory_unsynced_ = false;  // renames in it may not survive a power loss yet
  std::uint64_t generation_ = 0;     // of the snapshot in force
  std::unique_ptr<JournalWriter> journal_;
  std::vector<JournalEntry> queued_;  // recorded since the last Commit
  StoreLoad recovery_;
  UnixSeconds last_now_ = 0;  // of the last Record, for a journal opened by Commit
  PersistenceStats stats_;
  JournalWriter::SyncJob sync_;  // the last PrepareSync()'s
  std::chrono::steady_clock::time_point sync_started_;
  std::unique_ptr<SnapshotChild> child_;  // a background snapshot being written
  FileHeader child_header_;               // of the snapshot it writes
  std::chrono::steady_clock::time_point child_started_;
  // What the last background snapshot replaced for good (the oldest journal and snapshot).
  std::vector<std::unique_ptr<UnlinkedFile>> retired_;
};

}  // namespace shardtrack

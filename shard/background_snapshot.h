// BackgroundSnapshot: what ShardServer asks of persistence for its periodic snapshot, so that
// saving pauses the loop only for a fork, not for writing the whole store. Implemented by
// ShardPersistence (a forked child writes the file). Loop thread only.
#pragma once

#include <functional>

#include "common/clock.h"
#include "common/result.h"
#include "shard/swarm_store.h"

namespace shardtrack {

class BackgroundSnapshot {
 public:
  virtual ~BackgroundSnapshot() = default;

  // Starts saving `store` as it is now, beside the loop. Returns a descriptor that becomes
  // readable when the saving has ended (watch it; it stays the callee's), or an error when it
  // could not start (nothing changed). At most one runs at a time.
  virtual Result<int> StartSnapshot(const SwarmStore& store, UnixSeconds now) = 0;
  // Ends the running one: waits for it (blocking, if the descriptor is not readable yet), then
  // puts the snapshot in force or, when it failed, logs why and keeps the previous one. The
  // descriptor is closed. Never called while a sync runs (the journal is replaced). An error
  // means the files can only be trusted by a restart: the shard must stop.
  virtual Status FinishSnapshot() = 0;
  // After FinishSnapshot: a job that frees what the snapshot retired (the oldest snapshot and the
  // oldest journal, each replaced for good and freed at its last close: ~0.15 s for 410 MB on ext4
  // with `discard`), to run on another thread; it touches nothing the loop uses. Empty when there
  // is nothing to free. What a job not taken would free goes with the next job, or is freed on
  // the loop by the next snapshot written there or by the destructor.
  virtual std::function<Status()> TakeCleanup() = 0;
  // Ends the running one at once, without its snapshot: for a stop, whose final snapshot
  // replaces it (a child stopped with SIGSTOP would otherwise hold the stop up), and when the
  // directory it writes into was removed.
  virtual void AbandonSnapshot() = 0;
  // Checked every few seconds: the data directory, its lock file and the shard's snapshot and
  // journal should be where the shard left them. Puts the directory and the lock back and says
  // what was missing (empty: nothing), so that the caller writes a snapshot from memory at once.
  // An error when they cannot be put back (the directory cannot be made, another shard took the
  // lock): the shard can no longer keep what it answers, and must stop.
  virtual Result<std::string> RestoreMissingFiles() = 0;
};

}  // namespace shardtrack

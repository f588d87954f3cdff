// SnapshotScheduler: when a shard's periodic snapshots are written, and its watch on its files.
// Every --save-dfile-interval (the first after FirstSaveDelay) it starts a BackgroundSnapshot,
// written beside the loop, one at a time (a timer that finds one running skips its turn, saying
// so), and finishes it when its descriptor becomes readable; what that snapshot retired (the
// oldest snapshot and journal, slow to free) is closed on a worker thread. Every few seconds it
// asks for files that vanished to be put back, and then writes a snapshot from memory at once.
// The journal's syncs and the stop belong to the shard server, which Hooks tell. Loop thread
// only.
#pragma once

#include <functional>
#include <string>

#include "common/log_throttle.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "shard/background_snapshot.h"
#include "shard/shard_settings.h"
#include "shard/swarm_store.h"

namespace shardtrack {

class SnapshotScheduler {
 public:
  struct Hooks {
    std::function<void()> before_finish;  // no journal sync may run while the journal is replaced
    std::function<void()> after_finish;   // a sync the finish held back may start
    // Finishing failed: the files can only be trusted by a restart.
    std::function<void(const std::string& error)> finish_failed;
    // The files vanished and cannot be put back (said already): the shard must stop.
    std::function<void()> stop;
    // The files vanished and the directory was made again: other files in it are written again.
    std::function<void()> files_vanished;
  };

  SnapshotScheduler(EventLoop& loop, const ShardSettings& settings, const SwarmStore& store,
                    BackgroundSnapshot& snapshot, Hooks hooks);
  ~SnapshotScheduler();
  SnapshotScheduler(const SnapshotScheduler&) = delete;
  SnapshotScheduler& operator=(const SnapshotScheduler&) = delete;

  void Start();  // the save timer and the files check
  // For a stop, whose final snapshot follows: cancels the timers, abandons a running snapshot
  // (a child stopped with SIGSTOP must not hold the stop up) and waits for the cleanup job.
  void Close();

 private:
  void RunSave();
  void StartSnapshot();
  void AbandonSnapshot();
  void CheckFiles();  // what vanished is written again at once
  void FinishSnapshot();
  void StartCleanup();  // of the snapshot just finished, on cleanup_worker_

  EventLoop& loop_;
  const ShardSettings& settings_;
  const SwarmStore& store_;
  BackgroundSnapshot& snapshot_;
  Hooks hooks_;
  int snapshot_fd_ = -1;                      // watched while a snapshot is being written
  EventLoop::ForkedChildGuard forked_child_;  // held meanwhile: its child has our descriptors
  MonoTime snapshot_started_{};
  bool repairing_ = false;  // the running snapshot puts back files that vanished: let it finish
  BackgroundWorker cleanup_worker_;  // frees what a background snapshot retired
  TimerId save_timer_ = 0;
  TimerId files_timer_ = 0;
  LogThrottle missing_files_log_;
};

}  // namespace shardtrack

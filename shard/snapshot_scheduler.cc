#include "shard/snapshot_scheduler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace shardtrack {

namespace {
// How soon a data directory deleted by hand is written again (from memory: nothing is lost
// unless the shard dies within this plus one snapshot).
constexpr auto kFilesCheckInterval = std::chrono::seconds(5);
}  // namespace

SnapshotScheduler::SnapshotScheduler(EventLoop& loop, const ShardSettings& settings,
                                     const SwarmStore& store, BackgroundSnapshot& snapshot,
                                     Hooks hooks)
    : loop_(loop),
      settings_(settings),
      store_(store),
      snapshot_(snapshot),
      hooks_(std::move(hooks)),
      cleanup_worker_(loop) {}

SnapshotScheduler::~SnapshotScheduler() { Close(); }

void SnapshotScheduler::Start() {
  save_timer_ = loop_.RunAfter(FirstSaveDelay(settings_), [this] { RunSave(); });
  files_timer_ = loop_.RunAfter(kFilesCheckInterval, [this] { CheckFiles(); });
}

void SnapshotScheduler::Close() {
  for (TimerId* timer : {&save_timer_, &files_timer_}) {
    if (*timer != 0) loop_.Cancel(*timer);
    *timer = 0;
  }
  if (snapshot_fd_ >= 0) AbandonSnapshot();
  cleanup_worker_.Wait();
}

void SnapshotScheduler::RunSave() {
  save_timer_ =
      loop_.RunAfter(std::chrono::seconds(settings_.save_dfile_interval), [this] { RunSave(); });
  if (snapshot_fd_ >= 0) {
    spdlog::warn(
        "shard {}: the snapshot started {} s ago is still being written, so this one is skipped "
        "(a snapshot child stopped or starved of CPU? --save-dfile-interval too short for the "
        "store?)",
        settings_.index,
        std::chrono::duration_cast<std::chrono::seconds>(loop_.clock().Now() - snapshot_started_)
            .count());
    return;
  }
  StartSnapshot();
}

void SnapshotScheduler::CheckFiles() {
  files_timer_ = loop_.RunAfter(kFilesCheckInterval, [this] { CheckFiles(); });
  const auto missing = snapshot_.RestoreMissingFiles();
  if (!missing) {
    spdlog::critical("shard {}: {}; stopping the shard, which can no longer keep what it answers",
                     settings_.index, missing.error());
    return hooks_.stop();
  }
  if (missing->empty()) return;
  if (missing_files_log_.Due(loop_.clock().Now())) {
    spdlog::error(
        "shard {}: {} vanished from under the running shard (removed by hand?); writing a "
        "snapshot and journal from memory now, so that a restart loses nothing",
        settings_.index, *missing);
  }
  if (repairing_) return;                    // the snapshot that puts them back is being written
  if (snapshot_fd_ >= 0) AbandonSnapshot();  // its temp file may have gone with the directory
  StartSnapshot();
  repairing_ = snapshot_fd_ >= 0;
  hooks_.files_vanished();
}

void SnapshotScheduler::AbandonSnapshot() {
  loop_.UnwatchFd(snapshot_fd_);
  snapshot_fd_ = -1;
  repairing_ = false;
  snapshot_.AbandonSnapshot();
  forked_child_ = {};
}

void SnapshotScheduler::StartSnapshot() {
  snapshot_started_ = loop_.clock().Now();
  auto started = snapshot_.StartSnapshot(store_, loop_.clock().WallNow());
  if (!started) {
    spdlog::error("cannot start a snapshot: {} (the previous one and the journal stay in force)",
                  started.error());
    return;
  }
  snapshot_fd_ = *started;
  forked_child_ = EventLoop::ForkedChildGuard(loop_);
  loop_.WatchFd(snapshot_fd_, EventLoop::kReadable, [this](short) { FinishSnapshot(); });
}

void SnapshotScheduler::FinishSnapshot() {
  loop_.UnwatchFd(snapshot_fd_);
  snapshot_fd_ = -1;
  forked_child_ = {};  // it has exited
  repairing_ = false;
  hooks_.before_finish();
  if (Status finished = snapshot_.FinishSnapshot(); !finished) {
    hooks_.finish_failed(finished.error());
    return;
  }
  StartCleanup();
  hooks_.after_finish();
}

void SnapshotScheduler::StartCleanup() {
  auto cleanup = snapshot_.TakeCleanup();
  if (!cleanup) return;
  cleanup_worker_.Wait();  // the last snapshot's: long done, snapshots are seconds apart
  cleanup_worker_.Start(std::move(cleanup), [](const Status&) {});  // a close reports nothing
}

}  // namespace shardtrack

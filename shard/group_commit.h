// GroupCommit: what a shard's replies wait for, so that none promises more than its files keep.
// At the end of a turn the TurnLog is written, then the journal (WriteTurn); only then may the
// turn's replies go out. A reply that counted a completion is held until a sync that started
// after it was written succeeds: one sync covers every completion written before it starts, and
// runs on a worker thread so the loop keeps serving. The turn log is synced with the journal.
// A failed write or sync stops the loop, and what is held is never sent (failed()). Replies are
// bytes to it: it knows no sockets, and hands what a sync released to `send`, oldest first.
// Loop thread only.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/reactor/background_worker.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "shard/reply_durability.h"
#include "shard/shard_service.h"
#include "shard/snapshot_scheduler.h"
#include "shard/swarm_store.h"
#include "shard/turn_log.h"

namespace shardtrack {

class GroupCommit {
 public:
  using Send = std::function<void(std::string_view identity, std::string_view payload)>;

  GroupCommit(EventLoop& loop, Send send);
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Without it nothing is written and no reply waits. Must outlive this.
  void SetDurability(ReplyDurability* durability) { durability_ = durability; }
  // Written at each WriteTurn before the journal, synced with it (turn_log.h). Must outlive this.
  void SetTurnLog(TurnLog* log) { turn_log_ = log; }
  // Whether a reply that counted a completion must be held (there is a journal to sync).
  bool holds_completions() const { return durability_ != nullptr; }

  // One handled batch (ReplyDurability::Record); written by the next WriteTurn.
  void Record(const std::vector<PeerAnnounce>& applied,
              const std::vector<CountedCompletion>& completions, UnixSeconds now);
  // A reply that counted a completion, recorded this turn: sent once a sync covers it. Only when
  // holds_completions().
  void Hold(std::string identity, std::string payload);
  // The end of a turn: writes the turn log, then the journal. False when the journal write
  // failed: the loop is stopped, and none of the turn's replies may be sent.
  bool WriteTurn();
  // After the turn's other replies went out: starts a sync for the replies held, unless one runs
  // (its end starts the next).
  void StartSyncIfDue();
  // Torrents expiry forgot with their completed counts: journaled at once (no reply waits on
  // them); a failed write stops the loop like a turn's.
  void WriteRetired(const std::vector<InfoHash>& retired);
  // A snapshot replaces the journal: no sync may run while it is put in force; its failure, or
  // files that vanished for good, stop the loop.
  SnapshotScheduler::Hooks SnapshotHooks();

  // For a stop, after the last turn: waits for the running sync, then syncs and sends whatever
  // is still held (nothing after a failure).
  void Close();
  // A journal write or sync failed (or the files were lost) and the loop was stopped.
  bool failed() const { return failed_; }

 private:
  struct Held {
    std::string identity;
    std::string payload;
  };

  // The sync held_'s completions wait for: the journal's and the turn log's, whichever has
  // something to sync; empty when neither has (a snapshot made the journal durable).
  std::function<Status()> PrepareSync();
  void OnSynced(const Status& status);  // the journal's status
  void SendHeld(std::size_t count);     // the oldest `count` of held_
  void WaitForSyncs();
  // Says `what` failed with `error` and stops the loop, sending nothing held.
  void Fail(const std::string& what, const std::string& error);
  // Stops the loop, sending nothing held (the cause was said already).
  void StopUnanswered();

  EventLoop& loop_;
  Send send_;
  ReplyDurability* durability_ = nullptr;
  TurnLog* turn_log_ = nullptr;
  // What the running sync covers, and the turn log's result (set by the worker's job).
  bool syncing_journal_ = false;
  bool syncing_log_ = false;
  Status log_sync_status_ = OkStatus();
  std::deque<Held> held_;         // replies counting a completion, waiting for a sync
  std::size_t held_in_sync_ = 0;  // how many of held_ the running sync covers
  bool failed_ = false;
  BackgroundWorker sync_worker_;  // last: destroyed first, waiting for a running sync
};

}  // namespace shardtrack

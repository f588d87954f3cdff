#include "shard/group_commit.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace shardtrack {

GroupCommit::GroupCommit(EventLoop& loop, Send send)
    : loop_(loop), send_(std::move(send)), sync_worker_(loop) {}

void GroupCommit::Record(const std::vector<PeerAnnounce>& applied,
                         const std::vector<CountedCompletion>& completions, UnixSeconds now) {
  if (durability_) durability_->Record(applied, completions, now);
}

void GroupCommit::Hold(std::string identity, std::string payload) {
  held_.push_back(Held{std::move(identity), std::move(payload)});
}

bool GroupCommit::WriteTurn() {
  if (turn_log_) turn_log_->WriteLog();
  if (!durability_) return true;
  if (Status written = durability_->Write(); !written) {
    Fail("journal write", written.error());
    return false;
  }
  return true;
}

void GroupCommit::StartSyncIfDue() {
  if (held_.empty() || sync_worker_.busy() || failed_) return;
  auto sync = PrepareSync();
  if (!sync) {
    SendHeld(held_.size());
    return;
  }
  held_in_sync_ = held_.size();
  sync_worker_.Start(std::move(sync), [this](Status status) { OnSynced(status); });
}

std::function<Status()> GroupCommit::PrepareSync() {
  auto journal = durability_->NeedsSync() ? durability_->PrepareSync() : nullptr;
  auto log = turn_log_ && durability_->SyncsCompletions() ? turn_log_->PrepareLogSync() : nullptr;
  syncing_journal_ = static_cast<bool>(journal);
  syncing_log_ = static_cast<bool>(log);
  if (!journal && !log) return nullptr;
  return [journal = std::move(journal), log = std::move(log), &log_status = log_sync_status_] {
    if (log) log_status = log();
    return journal ? journal() : OkStatus();
  };
}

void GroupCommit::OnSynced(const Status& status) {
  if (syncing_log_) turn_log_->LogSynced(log_sync_status_);
  if (syncing_journal_) durability_->Synced(status);
  if (!status) {
    Fail("journal sync", status.error());
    return;
  }
  // Completions held since the sync began wait for the next one (none when nothing needs it).
  SendHeld(held_in_sync_);
  held_in_sync_ = 0;
  StartSyncIfDue();
}

void GroupCommit::SendHeld(std::size_t count) {
  for (std::size_t i = 0; i < count && !held_.empty(); ++i) {
    send_(held_.front().identity, held_.front().payload);
    held_.pop_front();
  }
}

// A finished sync may start the next one (for completions written meanwhile); no turn runs in
// between to write more, so this ends after at most two.
void GroupCommit::WaitForSyncs() {
  while (sync_worker_.busy()) sync_worker_.Wait();
}

void GroupCommit::WriteRetired(const std::vector<InfoHash>& retired) {
  if (!durability_ || retired.empty()) return;
  durability_->RecordForgotten(retired);
  if (Status written = durability_->Write(); !written) {
    Fail("journal write", written.error());
  }
}

SnapshotScheduler::Hooks GroupCommit::SnapshotHooks() {
  return SnapshotScheduler::Hooks{
      .before_finish = [this] { WaitForSyncs(); },
      .after_finish = [this] { StartSyncIfDue(); },
      .finish_failed = [this](const std::string& error) { Fail("snapshot", error); },
      .stop = [this] { StopUnanswered(); },
      .files_vanished =
          [this] {
            if (turn_log_) turn_log_->FilesVanished();
          }};
}

void GroupCommit::Close() {
  WaitForSyncs();
  if (held_.empty() || failed_) return;
  // The last completions: make them durable and answer them before leaving.
  if (auto sync = PrepareSync()) {
    held_in_sync_ = held_.size();
    OnSynced(sync());
  } else {
    SendHeld(held_.size());
  }
}

void GroupCommit::Fail(const std::string& what, const std::string& error) {
  spdlog::critical(
      "{} failed: {}; stopping the shard (its files hold every change a client was told of, and "
      "it starts from them once they can be written again)",
      what, error);
  StopUnanswered();
}

// The changes are in memory but the files cannot keep them: answering would promise what a crash
// could lose. Fail loudly; the supervisor restarts the shard from its files.
void GroupCommit::StopUnanswered() {
  held_.clear();
  failed_ = true;
  loop_.Stop();
}

}  // namespace shardtrack

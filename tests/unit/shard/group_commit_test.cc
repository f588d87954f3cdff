// GroupCommit over a fake journal and turn log that note what happened, in order: the turn log is
// written before the journal; a held reply goes out only after a sync that started after it was
// written succeeded; a failed write or sync sends nothing held; Close waits for the running sync
// and sends what waited. Every wait is a bounded number of loop turns.
#include "shard/group_commit.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace shardtrack {
namespace {

using Events = std::vector<std::string>;

// A journal whose every completion needs a sync, unless `needs_sync` is turned off (as when a
// snapshot made it durable).
class FakeJournal final : public ReplyDurability {
 public:
  explicit FakeJournal(Events& events) : events_(events) {}
  void Record(const std::vector<PeerAnnounce>&, const std::vector<CountedCompletion>&,
              UnixSeconds) override {}
  void RecordForgotten(const std::vector<InfoHash>&) override {}
  Status Write() override {
    events_.push_back("journal write");
    if (fail_write) return Error{"disk full"};
    unsynced_ = true;
    return OkStatus();
  }
  bool NeedsSync() const override { return unsynced_ && needs_sync; }
  bool SyncsCompletions() const override { return true; }
  std::function<Status()> PrepareSync() override {
    events_.push_back("journal sync");
    unsynced_ = false;
    return [status = sync_status] { return status; };  // on the worker: touches nothing shared
  }
  void Synced(const Status& status) override {
    events_.push_back(status ? "journal synced" : "journal sync failed");
  }

  bool fail_write = false;
  bool needs_sync = true;
  Status sync_status = OkStatus();

 private:
  Events& events_;
  bool unsynced_ = false;
};

class FakeTurnLog final : public TurnLog {
 public:
  explicit FakeTurnLog(Events& events) : events_(events) {}
  void WriteLog() override {
    events_.push_back("log write");
    unsynced_ = true;
  }
  std::function<Status()> PrepareLogSync() override {
    if (!std::exchange(unsynced_, false)) return nullptr;
    return [status = sync_status] { return status; };
  }
  void LogSynced(const Status& status) override {
    events_.push_back(status ? "log synced" : "log sync failed");
  }
  void FilesVanished() override {}  // the snapshot scheduler calls it, which is not here

  Status sync_status = OkStatus();

 private:
  Events& events_;
  bool unsynced_ = false;
};

class GroupCommitTest : public ::testing::Test {
 protected:
  GroupCommitTest() {
    commit_.SetDurability(&journal_);
    commit_.SetTurnLog(&log_);
  }
  // A turn that handled one batch whose reply `payload` counted a completion.
  bool TurnHolding(const std::string& payload) {
    commit_.Hold("frontend", payload);
    if (!commit_.WriteTurn()) return false;
    commit_.StartSyncIfDue();
    return true;
  }
  void TurnUntilSent(std::size_t count, int max_turns = 200) {
    for (int turn = 0; turn < max_turns && sent_.size() < count; ++turn) {
      loop_.RunOnce(std::chrono::milliseconds(5));
    }
  }

  Events events_;
  std::vector<std::string> sent_;
  SystemClock clock_;
  EventLoop loop_{clock_};
  FakeJournal journal_{events_};
  FakeTurnLog log_{events_};
  GroupCommit commit_{loop_, [this](std::string_view identity, std::string_view payload) {
                        EXPECT_EQ(identity, "frontend");
                        sent_.emplace_back(payload);
                        events_.push_back("sent " + std::string(payload));
                      }};
};

TEST_F(GroupCommitTest, ATurnWritesTheTurnLogThenTheJournal) {
  ASSERT_TRUE(commit_.WriteTurn());
  EXPECT_EQ(events_, (Events{"log write", "journal write"}));
}

TEST_F(GroupCommitTest, AHeldReplyGoesOutOnlyAfterTheSyncThatCoversIt) {
  ASSERT_TRUE(TurnHolding("a"));
  EXPECT_TRUE(sent_.empty()) << "the sync runs on the worker; its end comes in a loop turn";
  TurnUntilSent(1);
  EXPECT_EQ(events_, (Events{"log write", "journal write", "journal sync", "log synced",
                             "journal synced", "sent a"}));
}

TEST_F(GroupCommitTest, AReplyWrittenDuringASyncWaitsForTheNextOne) {
  ASSERT_TRUE(TurnHolding("a"));
  ASSERT_TRUE(TurnHolding("b"));  // the first sync runs: it does not cover b
  TurnUntilSent(2);
  EXPECT_EQ(events_, (Events{"log write", "journal write", "journal sync", "log write",
                             "journal write", "log synced", "journal synced", "sent a",
                             "journal sync", "log synced", "journal synced", "sent b"}));
}

TEST_F(GroupCommitTest, WhenNothingNeedsASyncAHeldReplyGoesOutOnceWritten) {
  journal_.needs_sync = false;
  commit_.SetTurnLog(nullptr);
  ASSERT_TRUE(TurnHolding("a"));
  EXPECT_EQ(sent_, (std::vector<std::string>{"a"}));
}

TEST_F(GroupCommitTest, AFailedJournalWriteStopsAndSendsNothingHeld) {
  journal_.fail_write = true;
  EXPECT_FALSE(TurnHolding("a"));
  EXPECT_TRUE(commit_.failed());
  commit_.StartSyncIfDue();
  commit_.Close();
  TurnUntilSent(1, 20);
  EXPECT_TRUE(sent_.empty());
  EXPECT_EQ(events_, (Events{"log write", "journal write"})) << "no sync after the failure";
}

TEST_F(GroupCommitTest, AFailedSyncStopsAndSendsNothingHeld) {
  journal_.sync_status = Error{"I/O error"};
  ASSERT_TRUE(TurnHolding("a"));
  ASSERT_TRUE(TurnHolding("b"));
  TurnUntilSent(1, 50);
  EXPECT_TRUE(commit_.failed());
  commit_.Close();
  EXPECT_TRUE(sent_.empty());
}

TEST_F(GroupCommitTest, AFailedTurnLogSyncStopsNothing) {
  log_.sync_status = Error{"I/O error"};
  ASSERT_TRUE(TurnHolding("a"));
  TurnUntilSent(1);
  EXPECT_EQ(sent_, (std::vector<std::string>{"a"}));
  EXPECT_FALSE(commit_.failed());
  EXPECT_EQ(events_[3], "log sync failed");
}

TEST_F(GroupCommitTest, CloseWaitsForTheRunningSyncAndSendsWhatWaited) {
  ASSERT_TRUE(TurnHolding("a"));
  ASSERT_TRUE(TurnHolding("b"));  // waits for a sync after the running one
  commit_.Close();                // no loop turn in between
  EXPECT_EQ(sent_, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(events_.back(), "sent b");
  EXPECT_EQ(events_[events_.size() - 2], "journal synced");
}

}  // namespace
}  // namespace shardtrack

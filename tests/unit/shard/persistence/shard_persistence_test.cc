#include "shard/persistence/shard_persistence.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/fast_rng.h"
#include "shard/persistence/faulty_file_ops.h"
#include "tests/unit/shard/persistence/persistent_shard_test_base.h"

namespace shardtrack {
namespace {

using testing::AnnounceRequest;

using ShardPersistenceTest = testing::PersistentShardTest;

TEST_F(ShardPersistenceTest, ACrashLosesNoCommittedCompletionOrPeer) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_STARTED, 100),
                             AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0),
                             AnnounceRequest('t', 3, proto::EVENT_COMPLETED, 0)})
                  .ok());
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 3, proto::EVENT_STOPPED, 0)}).ok());
  shard.reset();  // kill -9: no final snapshot

  auto restarted = Open(real_);
  ASSERT_NE(restarted, nullptr);
  const SwarmCounts counts = restarted->store.ScrapeOne(*InfoHash::FromRaw(std::string(20, 't')));
  EXPECT_EQ(counts.completed, 2u);
  EXPECT_EQ(counts.seeders, 1u);
  EXPECT_EQ(counts.leechers, 1u);
}

// Expiry forgets a torrent with no peers left once its retention passed, and the journal says
// so (RecordForgotten): a restart neither brings back its count nor loses what came after.
TEST_F(ShardPersistenceTest, AForgottenTorrentStaysForgottenAcrossACrashUnlessItCameBack) {
  const auto hash = [](char c) { return *InfoHash::FromRaw(std::string(20, c)); };
  const auto complete_and_stop = [this](Shard& shard, char torrent, UnixSeconds now) {
    return Serve(shard, {AnnounceRequest(torrent, 1, proto::EVENT_COMPLETED, 0)}, now).ok() &&
           Serve(shard, {AnnounceRequest(torrent, 1, proto::EVENT_STOPPED, 0)}, now).ok();
  };
  auto shard = Open(real_);
  ASSERT_TRUE(complete_and_stop(*shard, 'g', kStart));
  ASSERT_TRUE(complete_and_stop(*shard, 'b', kStart));
  ASSERT_TRUE(complete_and_stop(*shard, 'k', kStart + 90));
  const ExpireProgress expired = shard->store.ExpireSlice(kStart + 100, 2700, 10, 50);
  ASSERT_EQ(expired.retired.size(), 2u);  // g and b: idle for 100 s, over the retention of 50
  shard->persistence->RecordForgotten(expired.retired);
  ASSERT_TRUE(shard->persistence->Write().ok());
  ASSERT_TRUE(
      Serve(*shard, {AnnounceRequest('b', 2, proto::EVENT_COMPLETED, 0)}, kStart + 100).ok());
  shard.reset();  // kill -9

  auto restarted = Open(real_, kStart + 100);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.ScrapeOne(hash('g')).completed, 0u);
  EXPECT_EQ(restarted->store.ScrapeOne(hash('k')).completed, 1u);
  const SwarmCounts back = restarted->store.ScrapeOne(hash('b'));
  EXPECT_EQ(back.completed, 1u);  // the completion after the forget only
  EXPECT_EQ(back.seeders, 1u);
  EXPECT_EQ(restarted->store.torrents(), 2u);
}

TEST_F(ShardPersistenceTest, APeerCompletedBeforeTheCrashIsNotCountedTwice) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_NONE, 0)}).ok());
  shard.reset();
  auto restarted = Open(real_);
  ASSERT_TRUE(Serve(*restarted, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  EXPECT_EQ(restarted->store.ScrapeOne(*InfoHash::FromRaw(std::string(20, 't'))).completed, 1u);
}

// The live swarm marks a peer completed only when it counts its completion; replay does the same.
TEST_F(ShardPersistenceTest, ACompletedTheSwarmDidNotCountMarksNothingAcrossACrash) {
  const auto hash = *InfoHash::FromRaw(std::string(20, 't'));
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_STARTED, 0)}).ok());
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  ASSERT_EQ(shard->store.ScrapeOne(hash).completed, 0u);  // a seeder from the start
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_NONE, 5)}).ok());
  shard.reset();  // kill -9
  auto restarted = Open(real_);
  ASSERT_TRUE(Serve(*restarted, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  EXPECT_EQ(restarted->store.ScrapeOne(hash).completed, 1u);
}

// Expiry journals nothing, so the record of the peer's return must say it came back unmarked:
// its second completion counts after a crash as it does live (a reviewer's find).
TEST_F(ShardPersistenceTest, APeerThatExpiredAndCameBackCountsItsNextCompletionAcrossACrash) {
  const auto hash = *InfoHash::FromRaw(std::string(20, 't'));
  for (const bool snapshot_holds_the_mark : {false, true}) {
    SCOPED_TRACE(snapshot_holds_the_mark ? "marked in the snapshot" : "marked in the journal");
    std::filesystem::remove_all(dir_.path());
    auto shard = Open(real_);
    ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_STARTED, 100)}).ok());
    ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
    if (snapshot_holds_the_mark) {
      ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
    }
    // Another peer keeps the torrent; the first expires, then comes back to download again.
    ASSERT_TRUE(
        Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_STARTED, 100)}, kStart + 2000).ok());
    ASSERT_EQ(shard->store.ExpireSlice(kStart + 2700, 2700, 100).peers_removed, 1u);
    ASSERT_TRUE(
        Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_STARTED, 100)}, kStart + 2800).ok());
    shard.reset();  // kill -9
    auto restarted = Open(real_, kStart + 2850);
    ASSERT_TRUE(restarted);
    ASSERT_TRUE(
        Serve(*restarted, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}, kStart + 2900)
            .ok());
    EXPECT_EQ(restarted->store.ScrapeOne(hash).completed, 2u);
  }
}

TEST_F(ShardPersistenceTest, PeersKeepTheirWallClockLastSeenAcrossARestart) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_STARTED, 5)}, kStart).ok());
  ASSERT_TRUE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  shard.reset();
  // Restarted 40 minutes later: the peer expires 5 minutes after the restart, not 45.
  auto restarted = Open(real_, kStart + 40 * 60);
  EXPECT_EQ(restarted->store.peers(), 1u);
  EXPECT_EQ(restarted->store.ExpireSlice(kStart + 45 * 60 - 1, 2700, 100).peers_removed, 0u);
  EXPECT_EQ(restarted->store.ExpireSlice(kStart + 45 * 60, 2700, 100).peers_removed, 1u);
}

TEST_F(ShardPersistenceTest, PeersAlreadyExpiredAtStartAreDropped) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
  shard.reset();
  auto restarted = Open(real_, kStart + 2700);
  EXPECT_EQ(restarted->store.peers(), 0u);
  EXPECT_EQ(restarted->store.completed(), 1u);
}

TEST_F(ShardPersistenceTest, AFailedSnapshotKeepsTheJournalInForce) {
  Open(real_);  // files of generation 1 for the flaky one to load
  FaultyFileOps faulty(real_);
  auto flaky = Open(faulty);
  ASSERT_TRUE(Serve(*flaky, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
  faulty.FailNth(FaultyFileOps::Op::kRename, 1);
  EXPECT_FALSE(flaky->persistence->SaveSnapshot(flaky->store, kStart).ok());
  ASSERT_TRUE(Serve(*flaky, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  flaky.reset();
  auto restarted = Open(real_);
  EXPECT_EQ(restarted->store.completed(), 2u);
  EXPECT_EQ(restarted->store.peers(), 2u);
}

TEST_F(ShardPersistenceTest, AFailedJournalRotationStartsANewJournalBeforeTheNextReply) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
  // Snapshot: temp, link .prev, rename (1st). Journal: temp, rename (2nd) fails.
  faulty.FailNth(FaultyFileOps::Op::kRename, 2);
  EXPECT_FALSE(shard->persistence->SaveSnapshot(shard->store, kStart).ok());
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 2, proto::EVENT_COMPLETED, 0)}).ok());
  shard.reset();
  auto restarted = Open(real_);
  EXPECT_EQ(restarted->store.completed(), 2u);
}

// A first start writes an empty journal before its first snapshot, so a crash between that
// snapshot and the journal that follows it leaves no snapshot without a journal (which the next
// start would take for a removed journal, and refuse).
TEST_F(ShardPersistenceTest, AFirstStartStoppedBeforeTheJournalOfItsFirstSnapshotStartsAgain) {
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kRename, 3);  // the first journal, the snapshot, its journal
  SwarmStore store;
  EXPECT_FALSE(ShardPersistence::Open(faulty, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}},
                                      kStart, store)
                   .ok());
  ASSERT_TRUE(real_.Exists(dir_.File("shard-0-of-1.snapshot")));
  auto restarted = Open(real_);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.torrents(), 0u);
}

// Under --on-corrupt=quarantine a damaged journal's intact turns are replayed, and the journal
// is moved aside only once the start's snapshot holds them: a start that fails before that
// leaves it in place, and the next start replays them again.
// What must be settled before a start's snapshot outranks the files it read runs with what the
// load found, and its failure leaves the files as they were: no snapshot of this start.
TEST_F(ShardPersistenceTest, WhatRunsBeforeTheFirstSnapshotCanStopTheStart) {
  ASSERT_NE(Open(real_), nullptr);  // a first start: its snapshot is generation 1
  const std::string snapshot = testing::ReadAll(dir_.File("shard-0-of-1.snapshot"));
  std::uint64_t seen = 0;
  SwarmStore store;
  auto refused = ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}},
                                        kStart, store, [&](const StoreLoad& loaded) -> Status {
                                          seen = loaded.max_generation;
                                          EXPECT_EQ(loaded.sets, (std::vector<FileSet>{{0, 1, 1}}));
                                          return Error{"not settled"};
                                        });
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("not settled"), std::string::npos) << refused.error();
  EXPECT_EQ(seen, 1u);
  EXPECT_EQ(testing::ReadAll(dir_.File("shard-0-of-1.snapshot")), snapshot);
}

class QuarantiningStartTest : public ShardPersistenceTest {
 protected:
  // Three completions, a turn each, the second damaged in synced bytes (the third write's sync
  // marker says so). Returns the journal's bytes.
  std::string DamageTheSecondOfThreeTurns() {
    auto shard = Open(real_);
    EXPECT_TRUE(Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)}).ok());
    EXPECT_TRUE(Serve(*shard, {AnnounceRequest('b', 1, proto::EVENT_COMPLETED, 0)}).ok());
    const auto second_turn_end = std::filesystem::file_size(journal_);
    EXPECT_TRUE(Serve(*shard, {AnnounceRequest('c', 1, proto::EVENT_COMPLETED, 0)}).ok());
    shard.reset();  // kill -9
    std::string bytes = testing::ReadAll(journal_);
    bytes[second_turn_end - 1] ^= 0x01;
    testing::WriteAll(journal_, bytes);
    return bytes;
  }
  // A start whose `op` fails the `nth` time: refused, naming `error`, the journal as it was.
  void StartFailing(FaultyFileOps::Op op, int nth, const std::string& bytes,
                    const std::string& error) {
    FaultyFileOps faulty(real_);
    faulty.FailNth(op, nth);
    SwarmStore store;
    auto opened = ShardPersistence::Open(
        faulty, {dir_.path(), 0, 1, OnCorrupt::kQuarantine, 2700, {}}, kStart, store);
    ASSERT_FALSE(opened.ok());
    EXPECT_NE(opened.error().find(error), std::string::npos) << opened.error();
    EXPECT_EQ(testing::ReadAll(journal_), bytes);
  }
  // The next start keeps the first turn and sets the journal aside; the one after it finds
  // nothing to quarantine.
  void ExpectTheFirstTurnKept() {
    auto restarted = Open(real_, kStart, OnCorrupt::kQuarantine);
    ASSERT_NE(restarted, nullptr);
    EXPECT_EQ(restarted->store.completed(), 1u);
    EXPECT_EQ(restarted->persistence->recovery().files_lost, 1u);
    EXPECT_TRUE(real_.Exists(journal_ + ".corrupt-" + std::to_string(kStart)));
    restarted.reset();
    auto again = Open(real_);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->store.completed(), 1u);
  }

  const std::string journal_ = dir_.File("shard-0-of-1.journal");
};

TEST_F(QuarantiningStartTest, AStartWhoseSnapshotFailsLeavesTheDamagedJournalForTheNext) {
  const std::string bytes = DamageTheSecondOfThreeTurns();
  StartFailing(FaultyFileOps::Op::kSync, 1, bytes, "writing snapshot");
  ExpectTheFirstTurnKept();
}

// The snapshot is in place, the rename is not: the journal, stale now, is set aside next time.
TEST_F(QuarantiningStartTest, AStartThatCannotMoveTheJournalAsideLeavesItForTheNext) {
  const std::string bytes = DamageTheSecondOfThreeTurns();
  StartFailing(FaultyFileOps::Op::kRename, 2, bytes, "the next start replays them again");
  ExpectTheFirstTurnKept();
}

// A journal set aside whole (its header is damaged) by a start that then failed is missed by the
// next start: no empty first journal takes its place beside the snapshot.
TEST_F(ShardPersistenceTest, AJournalSetAsideByAStartThatFailedIsMissedByTheNext) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('a', 1, proto::EVENT_COMPLETED, 0)}).ok());
  shard.reset();  // kill -9
  const std::string journal = dir_.File("shard-0-of-1.journal");
  testing::WriteAll(journal, "STJRNL garbage");
  FaultyFileOps faulty(real_);
  faulty.FailNth(FaultyFileOps::Op::kLink, 1);  // the start's snapshot keeping the last as .prev
  SwarmStore store;
  EXPECT_FALSE(ShardPersistence::Open(faulty, {dir_.path(), 0, 1, OnCorrupt::kQuarantine, 2700, {}},
                                      kStart, store)
                   .ok());
  EXPECT_FALSE(real_.Exists(journal));
  SwarmStore again;
  auto refused = ShardPersistence::Open(real_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, 2700, {}},
                                        kStart, again);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no journal of shard 0 of 1"), std::string::npos)
      << refused.error();
}

TEST_F(ShardPersistenceTest, ACrashMidSnapshotLeavesATempFileThatTheNextStartRemoves) {
  auto shard = Open(real_);
  ASSERT_TRUE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
  shard->persistence.reset();
  testing::WriteAll(dir_.File("shard-0-of-1.snapshot.tmp"), "half a snapsh");
  testing::WriteAll(dir_.File("shard-0-of-1.journal.tmp"), "STJR");
  auto restarted = Open(real_);
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(restarted->store.completed(), 1u);
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.snapshot.tmp")));
  EXPECT_FALSE(real_.Exists(dir_.File("shard-0-of-1.journal.tmp")));
}

TEST_F(ShardPersistenceTest, ACommitThatCannotSyncFails) {
  FaultyFileOps faulty(real_);
  auto shard = Open(faulty);
  faulty.FailNth(FaultyFileOps::Op::kSync, 1);
  EXPECT_FALSE(Serve(*shard, {AnnounceRequest('t', 1, proto::EVENT_COMPLETED, 0)}).ok());
}

}  // namespace
}  // namespace shardtrack

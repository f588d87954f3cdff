#include "shard/persistence/layout_retirement.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "shard/persistence/journal_file.h"
#include "shard/persistence/snapshot_file.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using ::testing::HasSubstr;

class LayoutRetirementTest : public ::testing::Test {
 protected:
  void Snapshot(std::uint32_t index, std::uint32_t count, std::uint64_t generation) {
    ASSERT_TRUE(
        WriteSnapshot(ops_, dir_.path(), {index, count, generation, 0}, [](const TorrentVisitor&) {
        }).ok());
  }
  void Journal(std::uint32_t index, std::uint32_t count, std::uint64_t generation) {
    ASSERT_TRUE(JournalWriter::Create(ops_, dir_.path(), {index, count, generation, 0}).ok());
  }
  bool Exists(const std::string& name) { return ops_.Exists(dir_.File(name)); }
  Retirement Retire(std::uint32_t count) {
    auto retired = RetireOldLayouts(ops_, dir_.path(), count);
    EXPECT_TRUE(retired.ok()) << retired.error();
    return retired.ok() ? *retired : Retirement{};
  }

  testing::ScratchDir dir_;
  PosixFileOps ops_;
};

TEST_F(LayoutRetirementTest, KeepsOldFilesUntilEveryNewShardHasStarted) {
  Snapshot(0, 2, 3);
  Journal(0, 2, 3);
  Snapshot(1, 2, 4);
  Snapshot(0, 3, 5);
  Retirement retired = Retire(3);
  EXPECT_TRUE(retired.removed.empty());
  EXPECT_EQ(retired.kept.size(), 3u);
  EXPECT_THAT(retired.waiting_for, HasSubstr("shard-1-of-3.snapshot"));
  // A --count no layout ran at would wait for ever: the message asks.
  EXPECT_THAT(retired.waiting_for, HasSubstr("(is 3 the shard count they run at?)"));
  EXPECT_TRUE(Exists("shard-0-of-2.snapshot"));
}

TEST_F(LayoutRetirementTest, RemovesOldFilesOnceEveryNewShardOutranksThem) {
  Snapshot(0, 2, 3);
  Journal(0, 2, 3);
  Snapshot(1, 2, 4);
  testing::WriteAll(dir_.File("shard-1-of-2.snapshot.corrupt-99"), "kept for the operator");
  for (std::uint32_t index = 0; index < 3; ++index) Snapshot(index, 3, 5 + index);
  Retirement retired = Retire(3);
  EXPECT_EQ(retired.removed,
            (std::vector<std::string>{"shard-0-of-2.journal", "shard-0-of-2.snapshot",
                                      "shard-1-of-2.snapshot"}));
  EXPECT_TRUE(retired.waiting_for.empty());
  EXPECT_TRUE(Exists("shard-1-of-2.snapshot.corrupt-99"));
  EXPECT_TRUE(Exists("shard-2-of-3.snapshot"));
}

TEST_F(LayoutRetirementTest, KeepsAFileNoOlderThanTheNewLayout) {
  for (std::uint32_t index = 0; index < 2; ++index) Snapshot(index, 2, 5 + index);
  Snapshot(0, 1, 5);  // as new as shard 0 of 2: not provably taken in
  Retirement retired = Retire(2);
  EXPECT_TRUE(retired.removed.empty());
  EXPECT_TRUE(Exists("shard-0-of-1.snapshot"));
}

// Credit logs of another count may hold members' transfer that only the current shards' start
// settles: a --count older than another count's files removes nothing, and says so.
TEST_F(LayoutRetirementTest, ACountOlderThanAnotherCountsFilesRemovesNothing) {
  Snapshot(0, 1, 1);
  for (std::uint32_t index = 0; index < 2; ++index) Snapshot(index, 2, 2);
  for (std::uint32_t index = 0; index < 3; ++index) Snapshot(index, 3, 3 + index);
  Retirement retired = Retire(2);
  EXPECT_TRUE(retired.removed.empty());
  EXPECT_EQ(retired.kept.size(), 4u);
  EXPECT_THAT(retired.waiting_for,
              HasSubstr("--count 2 looks older than the files of 3 shards (up to generation 5)"));
  EXPECT_TRUE(Exists("shard-0-of-1.snapshot")) << "older than the floor, but nothing goes";
}

TEST_F(LayoutRetirementTest, WaitsForACurrentShardNotStartedSinceAnotherCountRan) {
  Snapshot(0, 2, 2);
  for (std::uint32_t index = 0; index < 3; ++index) Snapshot(index, 3, 3 + index);
  Snapshot(1, 2, 6);  // back at 2 shards, only shard 1 started
  Retirement retired = Retire(2);
  EXPECT_TRUE(retired.removed.empty());
  EXPECT_THAT(retired.waiting_for,
              HasSubstr("waiting for shard 0 of 2: its snapshot (generation 2) is "
                        "not newer than the files of 3 shards (up to generation 5)"));
  EXPECT_TRUE(retired.refused_starts.empty());

  Snapshot(0, 2, 7);  // its .prev is of generation 2: what it falls back on never read them
  retired = Retire(2);
  EXPECT_TRUE(retired.removed.empty());
  EXPECT_THAT(retired.waiting_for, HasSubstr("waiting for shard 0 of 2: its previous snapshot "
                                             "(generation 2)"));
  Snapshot(0, 2, 8);
  retired = Retire(2);
  EXPECT_TRUE(retired.waiting_for.empty()) << retired.waiting_for;
  EXPECT_EQ(retired.removed.size(), 3u);
}

// A file whose header cannot be read stays, and with it its count's accounting.
TEST_F(LayoutRetirementTest, AnUnreadableFileStaysAndKeepsItsCount) {
  testing::WriteAll(dir_.File("shard-0-of-1.snapshot"), "not a snapshot");
  Snapshot(0, 4, 1);
  for (std::uint32_t index = 0; index < 2; ++index) Snapshot(index, 2, 2);
  Retirement retired = Retire(2);
  EXPECT_TRUE(retired.waiting_for.empty()) << retired.waiting_for;
  EXPECT_EQ(retired.removed, std::vector<std::string>{"shard-0-of-4.snapshot"});
  EXPECT_EQ(retired.counts_kept, std::vector<std::uint32_t>{1});
}

// As their loads would: shards 1 and 2 of 3 may own torrents of the missing shard 1 of 2.
TEST_F(LayoutRetirementTest, NamesTheShardsThatWillRefuseToStartForAnotherLayoutsGap) {
  Snapshot(0, 2, 2);
  Retirement retired = Retire(3);
  ASSERT_EQ(retired.refused_starts.size(), 2u);
  EXPECT_EQ(retired.refused_starts[0].rfind("shard 1 of 3 will refuse to start: no file of shard "
                                            "1 of 2 is in " +
                                                dir_.path() + " though shard 0 of 2's are",
                                            0),
            0u)
      << retired.refused_starts[0];
  EXPECT_EQ(retired.refused_starts[1].rfind("shard 2 of 3 will refuse to start:", 0), 0u);
}

}  // namespace
}  // namespace shardtrack

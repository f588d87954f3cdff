// DataDirLock: one process per shard of one layout on a data directory; a shard of another shard
// count, or a tool that would change files under a running shard, is refused. Locks held by one
// process conflict here as between processes: they belong to the open file, not the process.
#include "shard/persistence/data_dir_lock.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shard/persistence/data_dir_tools.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/layout_retirement.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

using ::testing::HasSubstr;

class DataDirLockTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<DataDirLock>> Take(std::uint32_t index, std::uint32_t count) {
    return DataDirLock::Take(dir_.path(), index, count);
  }

  testing::ScratchDir dir_;
};

TEST_F(DataDirLockTest, ASecondProcessForTheSameShardIsRefusedUntilTheFirstIsGone) {
  auto first = Take(1, 2);
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = Take(1, 2);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr("shard 1 of 2 already runs on it"));
  first->reset();
  EXPECT_TRUE(Take(1, 2).ok());
}

TEST_F(DataDirLockTest, ShardsOfOneLayoutShareTheDirectory) {
  auto zero = Take(0, 3);
  auto one = Take(1, 3);
  auto two = Take(2, 3);
  EXPECT_TRUE(zero.ok() && one.ok() && two.ok());
}

TEST_F(DataDirLockTest, AShardOfAnotherCountIsRefusedWhileAnyShardOfTheLayoutRuns) {
  auto running = Take(1, 3);
  ASSERT_TRUE(running.ok());
  for (std::uint32_t count : {1u, 2u, 4u, 4'000'000'000u}) {
    auto other = Take(0, count);
    ASSERT_FALSE(other.ok()) << count;
    EXPECT_THAT(other.error(), HasSubstr("in use by the shards of a 3-shard layout"));
  }
  running->reset();
  EXPECT_TRUE(Take(0, 1).ok());  // a resize, once the old layout is stopped
}

TEST_F(DataDirLockTest, TheLockFileBelongsToTheDirectorysOwnerWhoeverMadeIt) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root can make a file for another user";
  constexpr uid_t kNobody = 65534;
  ASSERT_EQ(::chown(dir_.path().c_str(), kNobody, kNobody), 0);
  ASSERT_TRUE(Take(0, 1).ok());  // as a tool run by root would
  struct stat file {};
  ASSERT_EQ(::stat(dir_.File(DataDirLock::kFileName).c_str(), &file), 0);
  EXPECT_EQ(file.st_uid, kNobody);  // so a shard run as the owner can open it for writing
  EXPECT_EQ(file.st_gid, kNobody);
}

TEST_F(DataDirLockTest, ToolsAreRefusedWhileAShardTheyWouldUndoRuns) {
  EXPECT_TRUE(DataDirLock::CheckNoneRunsBut(dir_.path(), 0).ok());  // no lock file yet
  auto running = Take(0, 2);
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(DataDirLock::CheckNoneRunsBut(dir_.path(), 2).ok());
  EXPECT_FALSE(DataDirLock::CheckNoneRunsBut(dir_.path(), 3).ok());
  EXPECT_FALSE(DataDirLock::CheckNoneRunsBut(dir_.path(), 0).ok());

  PosixFileOps ops;
  auto retired = RetireOldLayouts(ops, dir_.path(), 1);  // would remove the running layout's files
  ASSERT_FALSE(retired.ok());
  EXPECT_THAT(retired.error(), HasSubstr("2-shard layout"));
  EXPECT_TRUE(RetireOldLayouts(ops, dir_.path(), 2).ok());
  auto imported = ImportDfile(ops, dir_.path(), "d5:peersdee", 1000);
  ASSERT_FALSE(imported.ok());
  EXPECT_THAT(imported.error(), HasSubstr("2-shard layout"));
  running->reset();
  EXPECT_TRUE(ImportDfile(ops, dir_.path(), "d5:peersdee", 1000).ok());
}

}  // namespace
}  // namespace shardtrack

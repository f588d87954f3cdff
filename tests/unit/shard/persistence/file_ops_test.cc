// PosixFileOps::CreateDir: a directory made, one already there taken as it is, and one whose
// parent is missing refused saying what to do (the other causes share ErrnoError's remedies).
#include "shard/persistence/file_ops.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

TEST(PosixFileOpsTest, CreateDirMakesADirectoryAndTakesOneThatIsThere) {
  testing::ScratchDir scratch;
  PosixFileOps files;
  const std::string data = scratch.File("data");
  ASSERT_TRUE(files.CreateDir(data));
  EXPECT_TRUE(IsDirectory(data));
  EXPECT_TRUE(files.CreateDir(data));
}

TEST(PosixFileOpsTest, CreateDirWhoseParentIsMissingSaysToCreateItOrCorrectTheSetting) {
  testing::ScratchDir scratch;
  PosixFileOps files;
  const std::string data = scratch.File("missing") + "/data";
  const Status refused = files.CreateDir(data);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "create directory " + data +
                                 ": the directory it goes in does not exist (create it, mkdir "
                                 "-p, or correct --data-dir)");
  EXPECT_FALSE(IsDirectory(data));
}

}  // namespace
}  // namespace shardtrack

// LoadAccessList reads a real file and names it in every error; StampOf tells versions of a file
// apart by size and by inode (a new file renamed over the old), and a missing file from both.
#include "frontend/access/access_list_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

constexpr std::string_view kHexA = "0123456789abcdef0123456789abcdef01234567";

class AccessListFileTest : public ::testing::Test {
 protected:
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  testing::ScratchDir dir_;
  const std::string path_ = dir_.File("list");
};

TEST_F(AccessListFileTest, LoadsTheListAFileHolds) {
  Write(path_, "# ours\n" + std::string(kHexA) + "\n");
  auto list = LoadAccessList(path_);
  ASSERT_TRUE(list) << list.error();
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(AccessListFileTest, AMalformedFileIsAnErrorNamingTheFileAndTheLine) {
  Write(path_, std::string(kHexA) + "\n\nnot an infohash\n");
  auto list = LoadAccessList(path_);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().rfind(path_ + ": line 3 ", 0), 0u) << list.error();
}

TEST_F(AccessListFileTest, AMissingFileIsAnErrorNamingTheFileAndTheReason) {
  auto list = LoadAccessList(path_);
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().find(path_), std::string::npos) << list.error();
  EXPECT_NE(list.error().find("No such file"), std::string::npos) << list.error();
}

TEST_F(AccessListFileTest, ADirectoryIsAnErrorNotAnEmptyList) {
  auto list = LoadAccessList(dir_.path());
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().find(dir_.path()), std::string::npos) << list.error();
}

TEST_F(AccessListFileTest, AStampTellsVersionsOfAFileApart) {
  EXPECT_FALSE(StampOf(path_).exists);
  EXPECT_EQ(StampOf(path_), FileStamp{});
  Write(path_, std::string(kHexA) + "\n");
  const FileStamp first = StampOf(path_);
  EXPECT_TRUE(first.exists);
  EXPECT_EQ(first.size, 41);
  EXPECT_EQ(StampOf(path_), first);

  Write(path_, std::string(kHexA) + "\n# more\n");
  const FileStamp grown = StampOf(path_);
  EXPECT_NE(grown, first);

  Write(dir_.File("list.new"), std::string(kHexA) + "\n#  ore\n");  // the same size
  std::filesystem::rename(dir_.File("list.new"), path_);
  const FileStamp renamed = StampOf(path_);
  EXPECT_EQ(renamed.size, grown.size);
  EXPECT_NE(renamed, grown);
}

}  // namespace
}  // namespace shardtrack

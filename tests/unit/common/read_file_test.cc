#include "common/read_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

TEST(ReadWholeFileTest, ReadsEveryByte) {
  testing::ScratchDir dir;
  std::string bytes(200000, '\0');  // several read chunks, zero bytes included
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31 % 251);
  std::ofstream(dir.File("data"), std::ios::binary) << bytes;
  auto read = ReadWholeFile(dir.File("data"));
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_TRUE(*read == bytes);
}

TEST(ReadWholeFileTest, AMissingFileOrADirectoryIsAnErrorNamingIt) {
  testing::ScratchDir dir;
  auto missing = ReadWholeFile(dir.File("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot read " + dir.File("absent") + ": No such file or directory");
  auto directory = ReadWholeFile(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error(), "cannot read " + dir.path() + ": Is a directory");
}

}  // namespace
}  // namespace shardtrack

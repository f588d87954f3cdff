#include "common/read_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
  EXPECT_EQ(missing.error(), "cannot read " + dir.File("absent") +
                                 ": No such file or directory (make it, or correct the path)");
  auto directory = ReadWholeFile(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error(), "cannot read " + dir.path() + ": Is a directory");
}

// Read by a user who may not (nobody, in a child when the test runs as root).
TEST(ReadWholeFileTest, AFileThisUserMayNotReadSaysToGiveItAccess) {
  testing::ScratchDir dir;  // mode 700: only its owner goes in
  std::ofstream(dir.File("secret")) << "x";
  ASSERT_EQ(::chmod(dir.File("secret").c_str(), 0), 0);  // not even its owner, unless root
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::geteuid() == 0 && ::setuid(65534) != 0) ::_exit(2);
    const auto read = ReadWholeFile(dir.File("secret"));
    const bool said = !read && read.error() == "cannot read " + dir.File("secret") +
                                                   ": Permission denied (give this process's "
                                                   "user read access to it and its directories)";
    ::_exit(said ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2: setuid, 3: read, or refused otherwise";
}

}  // namespace
}  // namespace shardtrack

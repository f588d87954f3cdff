#include "frontend/udp/udp_secret_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/unit/common/scratch_dir.h"

namespace shardtrack {
namespace {

const IpAddress kClient = *IpAddress::Parse("198.51.100.1");
constexpr UnixSeconds kNow = 1'700'000'000;

std::string Write(const testing::ScratchDir& dir, const std::string& name,
                  const std::string& contents) {
  const std::string path = dir.File(name);
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

TEST(UdpSecretFileTest, TwoFrontendsGivenTheFileAcceptEachOthersIds) {
  testing::ScratchDir dir;
  const std::string path = Write(dir, "secret", "q3V0c2lkZSB0aGUgYm94IQ==\n");
  auto first = LoadUdpConnectionIds(path);
  auto second = LoadUdpConnectionIds(path);
  ASSERT_TRUE(first.ok()) << first.error();
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_TRUE(second->Valid(first->Issue(kClient, kNow), kClient, kNow));
}

TEST(UdpSecretFileTest, TrailingWhitespaceIsNotPartOfTheSecret) {
  testing::ScratchDir dir;
  auto bare = LoadUdpConnectionIds(Write(dir, "bare", "0123456789abcdef"));
  auto with_newline = LoadUdpConnectionIds(Write(dir, "newline", "0123456789abcdef \r\n"));
  ASSERT_TRUE(bare.ok() && with_newline.ok());
  EXPECT_TRUE(with_newline->Valid(bare->Issue(kClient, kNow), kClient, kNow));
}

TEST(UdpSecretFileTest, WithoutAFileEachProcessHasItsOwnKey) {
  auto first = LoadUdpConnectionIds("");
  auto second = LoadUdpConnectionIds("");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(second->Valid(first->Issue(kClient, kNow), kClient, kNow));
}

TEST(UdpSecretFileTest, AMissingOrShortFileIsAnErrorNamingIt) {
  testing::ScratchDir dir;
  auto missing = LoadUdpConnectionIds(dir.File("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "--udp-secret-file: cannot read " + dir.File("absent") +
                                 ": No such file or directory (make it, or correct the path)");
  const std::string short_path = Write(dir, "short", "tooshort\n");
  auto too_short = LoadUdpConnectionIds(short_path);
  ASSERT_FALSE(too_short.ok());
  EXPECT_EQ(too_short.error(), "--udp-secret-file " + short_path +
                                   ": the secret has 8 bytes, fewer than 16 (make one with: "
                                   "(umask 077; head -c 32 /dev/urandom | base64 > " +
                                   short_path + "))");
}

TEST(UdpSecretFileTest, ADirectoryIsAnErrorNamingIt) {  // it used to end the process
  testing::ScratchDir dir;
  auto loaded = LoadUdpConnectionIds(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error(), "--udp-secret-file: cannot read " + dir.path() + ": Is a directory");
}

}  // namespace
}  // namespace shardtrack

// Crc32c: the published check values (the catalogue's "123456789" and RFC 3720's iSCSI test
// patterns), the same answer from the instruction and the table for every length and split, and
// extension over pieces equal to one pass over the whole.
#include "shard/persistence/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace shardtrack {
namespace {

std::string Bytes(std::size_t count, int first, int step) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>(first + step * i));
  return out;
}

TEST(Crc32cTest, MatchesThePublishedCheckValues) {
  for (auto crc : {Crc32c, Crc32cBytewise}) {
    EXPECT_EQ(crc("123456789", 0), 0xe3069283u);
    EXPECT_EQ(crc(Bytes(32, 0, 0), 0), 0x8a9136aau);     // RFC 3720 B.4: 32 zero bytes
    EXPECT_EQ(crc(Bytes(32, 0xff, 0), 0), 0x62a8ab43u);  // 32 bytes of 0xff
    EXPECT_EQ(crc(Bytes(32, 0, 1), 0), 0x46dd794eu);     // 0, 1, ..., 31
    EXPECT_EQ(crc(Bytes(32, 31, -1), 0), 0x113fdb5cu);   // 31, 30, ..., 0
    EXPECT_EQ(crc("", 0), 0u);
  }
}

TEST(Crc32cTest, TheInstructionAndTheTableAgreeOnEveryLengthAndSplit) {
  std::mt19937 random(7);
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(random()));
  for (std::size_t length = 0; length <= data.size(); ++length) {
    const std::string_view piece(data.data(), length);
    const std::uint32_t whole = Crc32cBytewise(piece);
    ASSERT_EQ(Crc32c(piece), whole) << length;
    const std::size_t split = length / 3;
    EXPECT_EQ(Crc32c(piece.substr(split), Crc32c(piece.substr(0, split))), whole) << length;
  }
}

}  // namespace
}  // namespace shardtrack

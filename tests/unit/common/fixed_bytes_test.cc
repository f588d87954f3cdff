// FixedBytes: hex in both directions.
#include "common/fixed_bytes.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(FixedBytesTest, FromHexReadsEitherCaseAndRoundTripsWithToHex) {
  const std::string hex = "0123456789abcdef0123456789abcdef01234567";
  const auto lower = InfoHash::FromHex(hex);
  ASSERT_TRUE(lower.has_value());
  EXPECT_EQ(lower->bytes[0], 0x01);
  EXPECT_EQ(lower->bytes[19], 0x67);
  EXPECT_EQ(lower->ToHex(), hex);
  EXPECT_EQ(InfoHash::FromHex("0123456789ABCDEF0123456789ABCDEF01234567"), lower);
}

TEST(FixedBytesTest, FromHexRefusesAWrongLengthOrANonHexDigit) {
  EXPECT_FALSE(InfoHash::FromHex("0123456789abcdef0123456789abcdef0123456").has_value());
  EXPECT_FALSE(InfoHash::FromHex("0123456789abcdef0123456789abcdef012345678").has_value());
  EXPECT_FALSE(InfoHash::FromHex("0123456789abcdef0123456789abcdef0123456g").has_value());
  EXPECT_FALSE(InfoHash::FromHex("").has_value());
}

TEST(FixedBytesTest, HexDigitValueOfEveryKindOfCharacter) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue('/'), -1);
  EXPECT_EQ(HexDigitValue(':'), -1);
}

}  // namespace
}  // namespace shardtrack

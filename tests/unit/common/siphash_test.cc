// SipHash-2-4 against the reference implementation's test vectors (key 00..0f, message 00..n-1).
#include "common/siphash.h"

#include <gtest/gtest.h>

#include <string>

namespace shardtrack {
namespace {

const SipHashKey kReferenceKey = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

std::string Counting(std::size_t length) {
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out.push_back(static_cast<char>(i));
  return out;
}

TEST(SipHashTest, MatchesTheReferenceVectors) {
  EXPECT_EQ(SipHash24(kReferenceKey, Counting(0)), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(SipHash24(kReferenceKey, Counting(15)), 0xa129ca6149be45e5ULL);
}

TEST(SipHashTest, DependsOnTheKey) {
  EXPECT_NE(SipHash24({1, 2}, "infohash"), SipHash24({1, 3}, "infohash"));
}

TEST(SipHashTest, RandomKeysDiffer) { EXPECT_NE(RandomSipHashKey(), RandomSipHashKey()); }

}  // namespace
}  // namespace shardtrack

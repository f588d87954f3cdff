// ScaledFraction: every fraction lands in [0, range), in order, and the range is covered evenly.
#include "common/scaled_fraction.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace shardtrack {
namespace {

TEST(ScaledFractionTest, StaysInRangeInOrderAndEven) {
  EXPECT_EQ(ScaledFraction(0, 7), 0u);
  EXPECT_EQ(ScaledFraction(UINT32_MAX, 7), 6u);
  EXPECT_EQ(ScaledFraction(UINT32_MAX, (std::size_t{1} << 32) - 1), (std::size_t{1} << 32) - 2);
  std::vector<std::size_t> hits(5);
  std::size_t last = 0;
  for (std::uint64_t fraction = 0; fraction < (std::uint64_t{1} << 32); fraction += 1 << 16) {
    const std::size_t at = ScaledFraction(static_cast<std::uint32_t>(fraction), 5);
    ASSERT_GE(at, last);
    last = at;
    ++hits[at];
  }
  for (const std::size_t count : hits) EXPECT_NEAR(count, 65536 / 5, 1);
}

}  // namespace
}  // namespace shardtrack

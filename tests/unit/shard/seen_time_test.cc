// Last-seen times in 22 bits: read back exactly within reach of the reference, before or after
// it, wherever their low bits roll over; windows of 2^18 seconds.
#include "shard/seen_time.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

constexpr UnixSeconds kRollOver = UnixSeconds{405} << kSeenTimeBits;  // 1,698,693,120

TEST(SeenTimeTest, ATimeWithinReachReadsBackExactly) {
  for (const UnixSeconds reference : {kRollOver - 1, kRollOver, kRollOver + 1, kRollOver + 77}) {
    for (const UnixSeconds offset : {-kSeenTimeReach, -kSeenTimeReach + 1, UnixSeconds{-1},
                                     UnixSeconds{0}, UnixSeconds{1}, kSeenTimeReach}) {
      const UnixSeconds time = reference + offset;
      EXPECT_EQ(UnpackSeenTime(PackSeenTime(time), reference), time) << reference << offset;
    }
  }
}

TEST(SeenTimeTest, PackedTimesFitTheirBits) {
  EXPECT_EQ(PackSeenTime(kRollOver), 0u);
  EXPECT_EQ(PackSeenTime(kRollOver - 1), kSeenTimeMask);
  EXPECT_EQ(PackSeenTime(-5), 0u);  // clamped to 32 bits first, as entries always were
}

TEST(SeenTimeTest, ATimeBeyondReachReadsBackWrong) {
  const UnixSeconds reference = kRollOver + 1000;
  EXPECT_NE(UnpackSeenTime(PackSeenTime(reference - kSeenTimeReach - 1), reference),
            reference - kSeenTimeReach - 1);
  EXPECT_NE(UnpackSeenTime(PackSeenTime(reference + kSeenTimeReach + 2), reference),
            reference + kSeenTimeReach + 2);
}

TEST(SeenTimeTest, AtTheEndsOfThe32BitRangeTimesStillReadBack) {
  EXPECT_EQ(UnpackSeenTime(PackSeenTime(0), 0), 0);
  EXPECT_EQ(UnpackSeenTime(PackSeenTime(7), 1000), 7);
  constexpr UnixSeconds kLast = UINT32_MAX;
  EXPECT_EQ(UnpackSeenTime(PackSeenTime(kLast), kLast), kLast);
  EXPECT_EQ(UnpackSeenTime(PackSeenTime(kLast - 5), kLast), kLast - 5);
}

// Windows are where a swarm checks its peers' times: each kSeenTimeWindow (2^18) seconds.
TEST(SeenTimeTest, AWindowSpansTwoToTheEighteenSeconds) {
  EXPECT_EQ(SeenTimeWindow(kRollOver), SeenTimeWindow(kRollOver + kSeenTimeWindow - 1));
  EXPECT_NE(SeenTimeWindow(kRollOver), SeenTimeWindow(kRollOver + kSeenTimeWindow));
  EXPECT_NE(SeenTimeWindow(kRollOver), SeenTimeWindow(kRollOver - 1));
}

}  // namespace
}  // namespace shardtrack

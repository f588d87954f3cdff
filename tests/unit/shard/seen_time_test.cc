// Last-seen times in 22 bits: read back exactly within reach of the reference, before or after
// it, wherever their low bits roll over; clamped into reach otherwise.
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

TEST(SeenTimeTest, ATimeBeyondReachIsMisreadSoSwarmsClampThem) {
  const UnixSeconds reference = kRollOver + 1000;
  const UnixSeconds too_old = reference - kSeenTimeReach - 1;
  EXPECT_NE(UnpackSeenTime(PackSeenTime(too_old), reference), too_old);
  const UnixSeconds clamped = ClampIntoReach(too_old, reference);
  EXPECT_EQ(clamped, reference - kSeenTimeReach);
  EXPECT_EQ(UnpackSeenTime(PackSeenTime(clamped), reference), clamped);
  EXPECT_EQ(ClampIntoReach(reference + 3 * kSeenTimeReach, reference), reference + kSeenTimeReach);
  EXPECT_EQ(ClampIntoReach(reference - 5, reference), reference - 5);
}

}  // namespace
}  // namespace shardtrack

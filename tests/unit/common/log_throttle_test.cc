#include "common/log_throttle.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

using std::chrono::seconds;

TEST(LogThrottleTest, LetsTheFirstThroughThenOnePerInterval) {
  LogThrottle throttle(seconds(60));
  const MonoTime start{};  // the clock's epoch: a fake clock's first reading
  EXPECT_TRUE(throttle.Due(start));
  EXPECT_FALSE(throttle.Due(start));
  EXPECT_FALSE(throttle.Due(start + seconds(59)));
  EXPECT_TRUE(throttle.Due(start + seconds(60)));
  EXPECT_FALSE(throttle.Due(start + seconds(100)));
  EXPECT_TRUE(throttle.Due(start + seconds(500)));  // after a quiet spell, at once
}

TEST(LogThrottleTest, AClockSetBackLetsTheNextThrough) {
  LogThrottle throttle(seconds(60));
  const MonoTime later = MonoTime{} + seconds(30 * 86400);
  EXPECT_TRUE(throttle.Due(later));
  EXPECT_TRUE(throttle.Due(later - seconds(29 * 86400)));
  EXPECT_FALSE(throttle.Due(later - seconds(29 * 86400) + seconds(59)));
}

}  // namespace
}  // namespace shardtrack

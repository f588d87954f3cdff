#include "common/reactor/periodic_timer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

namespace shardtrack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(PeriodicTimerTest, RunsOncePerPeriodUntilDestroyed) {
  FakeClock clock;
  EventLoop loop(clock);
  int runs = 0;
  std::optional<PeriodicTimer> timer;
  timer.emplace(loop, seconds(2), [&runs] { ++runs; });
  loop.RunOnce(milliseconds(0));
  EXPECT_EQ(runs, 0);
  for (int period = 1; period <= 3; ++period) {
    clock.Advance(seconds(1));
    loop.RunOnce(milliseconds(0));
    EXPECT_EQ(runs, period - 1);
    clock.Advance(seconds(1));
    loop.RunOnce(milliseconds(0));
    EXPECT_EQ(runs, period);
  }
  timer.reset();
  clock.Advance(seconds(10));
  loop.RunOnce(milliseconds(0));
  EXPECT_EQ(runs, 3);
}

TEST(PeriodicTimerTest, ASweepComesAtAQuarterOfItsLimitAndAtMost100TimesASecond) {
  EXPECT_EQ(SweepPeriodFor(seconds(10)), milliseconds(2500));
  EXPECT_EQ(SweepPeriodFor(milliseconds(20)), milliseconds(10));
}

}  // namespace
}  // namespace shardtrack

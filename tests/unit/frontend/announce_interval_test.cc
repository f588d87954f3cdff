// AnnounceInterval: intervals spread evenly over the jitter around --announce-interval, never
// below --min-interval, and exactly the interval without jitter.
#include "frontend/announce_interval.h"

#include <gtest/gtest.h>

#include <map>

namespace shardtrack {
namespace {

std::map<std::uint32_t, int> Draw(AnnounceInterval interval, int times) {
  std::map<std::uint32_t, int> seen;
  for (int i = 0; i < times; ++i) ++seen[interval.Next()];
  return seen;
}

TEST(AnnounceIntervalTest, SpreadsEvenlyOverTheJitterAroundTheInterval) {
  const auto seen = Draw(AnnounceInterval(1800, 180, 900, 7), 181 * 200);
  EXPECT_EQ(seen.begin()->first, 1710u);
  EXPECT_EQ(seen.rbegin()->first, 1890u);
  EXPECT_EQ(seen.size(), 181u);  // every second of the spread comes up
  for (const auto& [value, count] : seen) {
    EXPECT_GT(count, 100) << value;  // about 200 each
    EXPECT_LT(count, 300) << value;
  }
}

TEST(AnnounceIntervalTest, NeverGoesBelowTheMinInterval) {
  const auto seen = Draw(AnnounceInterval(1000, 300, 950, 7), 5000);
  EXPECT_EQ(seen.begin()->first, 950u);
  EXPECT_EQ(seen.rbegin()->first, 1150u);
}

TEST(AnnounceIntervalTest, WithoutJitterItIsTheInterval) {
  const auto seen = Draw(AnnounceInterval(1800, 0, 900, 7), 100);
  EXPECT_EQ(seen, (std::map<std::uint32_t, int>{{1800u, 100}}));
  EXPECT_EQ(Draw(AnnounceInterval(60, 1, 60, 7), 100).rbegin()->first, 61u);  // odd: up by one
}

TEST(AnnounceIntervalTest, AFrontendsJitterIsAtMostItsInterval) {
  FrontendSettings settings;
  settings.announce_interval = 60;
  settings.min_interval = 30;
  settings.interval_jitter = 600;  // taken as 60: 30..90
  const auto seen = Draw(IntervalOf(settings), 2000);
  EXPECT_EQ(seen.begin()->first, 30u);
  EXPECT_EQ(seen.rbegin()->first, 90u);
}

}  // namespace
}  // namespace shardtrack

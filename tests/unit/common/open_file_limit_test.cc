#include "common/open_file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace shardtrack {
namespace {

rlimit Current() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit;
}

TEST(OpenFileLimitTest, RaisesTheSoftLimitUpToTheHardLimit) {
  const rlimit before = Current();
  rlimit lowered = before;
  lowered.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  auto raised = RaiseOpenFileLimit(before.rlim_max == RLIM_INFINITY ? 4096 : before.rlim_max + 1);
  ASSERT_TRUE(raised.ok()) << raised.error();
  const rlim_t expected = before.rlim_max == RLIM_INFINITY ? 4096 : before.rlim_max;
  EXPECT_EQ(*raised, expected);
  EXPECT_EQ(Current().rlim_cur, expected);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
}

TEST(OpenFileLimitTest, LeavesAHighEnoughLimitAlone) {
  const rlimit before = Current();
  auto result = RaiseOpenFileLimit(16);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, before.rlim_cur);
  EXPECT_EQ(Current().rlim_cur, before.rlim_cur);
}

}  // namespace
}  // namespace shardtrack

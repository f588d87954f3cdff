#include "common/open_file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>

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

TEST(OpenFileLimitTest, RequiringMoreThanTheHardLimitIsAnErrorThatSaysHowToRaiseIt) {
  const rlimit before = Current();
  if (before.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit to exceed";
  const Status refused = RequireOpenFiles(before.rlim_max + 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("open-file limit is " + std::to_string(before.rlim_max)),
            std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("ulimit -n"), std::string::npos) << refused.error();
  EXPECT_TRUE(RequireOpenFiles(kMinOpenFiles).ok());
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &before), 0);
}

}  // namespace
}  // namespace shardtrack

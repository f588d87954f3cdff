#include "bench/loadgen_options.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(LoadgenOptionsTest, AcceptsTheDefaults) {
  auto workload = LoadgenOptions{}.ToWorkloadOptions();
  EXPECT_TRUE(workload.ok()) << workload.error();
}

TEST(LoadgenOptionsTest, RefusesMorePeersPerSourceThanItsPortsTellApart) {
  LoadgenOptions options;
  options.sources = 2;
  options.peers = 2 * 64000;
  EXPECT_TRUE(options.ToWorkloadOptions().ok());
  options.peers = 2 * 64000 + 1;
  auto workload = options.ToWorkloadOptions();
  ASSERT_FALSE(workload.ok());
  EXPECT_NE(workload.error().find("--sources"), std::string::npos) << workload.error();
}

}  // namespace
}  // namespace shardtrack

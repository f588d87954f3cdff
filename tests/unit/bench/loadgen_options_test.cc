#include "bench/loadgen_options.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(LoadgenOptionsTest, AcceptsTheDefaults) {
  auto workload = LoadgenOptions{}.ToWorkloadOptions();
  EXPECT_TRUE(workload.ok()) << workload.error();
}

TEST(LoadgenOptionsTest, RefusesAHostThatIsNotAnIpv4Address) {
  LoadgenOptions options;
  options.host = "not-an-address.example";
  auto workload = options.ToWorkloadOptions();
  ASSERT_FALSE(workload.ok());
  EXPECT_NE(workload.error().find("not-an-address.example"), std::string::npos);
}

TEST(LoadgenOptionsTest, RefusesAHostBeyondLoopback) {
  LoadgenOptions options;
  options.host = "192.0.2.1";
  auto workload = options.ToWorkloadOptions();
  ASSERT_FALSE(workload.ok());
  EXPECT_NE(workload.error().find("loopback"), std::string::npos) << workload.error();
  options.host = "127.1.2.3";
  EXPECT_TRUE(options.ToWorkloadOptions().ok());
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

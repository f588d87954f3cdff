#include "frontend/client_connection_counter.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

IpAddress Ip(const char* text) { return *IpAddress::Parse(text); }

TEST(ClientConnectionCounterTest, AdmitsUpToTheLimitPerClient) {
  ClientConnectionCounter counter(2);
  EXPECT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_FALSE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_TRUE(counter.TryAdd(Ip("10.0.0.2")));  // another client has its own count
  EXPECT_EQ(counter.count(Ip("10.0.0.1")), 2u);
  EXPECT_EQ(counter.clients(), 2u);
}

TEST(ClientConnectionCounterTest, ARemovedConnectionFreesItsPlaceAndForgetsAnIdleClient) {
  ClientConnectionCounter counter(1);
  ASSERT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  counter.Remove(Ip("10.0.0.1"));
  EXPECT_EQ(counter.clients(), 0u);
  EXPECT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
}

TEST(ClientConnectionCounterTest, ARefusalCountsNothing) {
  ClientConnectionCounter counter(1);
  ASSERT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_FALSE(counter.TryAdd(Ip("10.0.0.1")));
  counter.Remove(Ip("10.0.0.1"));
  EXPECT_EQ(counter.count(Ip("10.0.0.1")), 0u);
  EXPECT_EQ(counter.clients(), 0u);
}

TEST(ClientConnectionCounterTest, AnIpv6ClientIsItsSlash64) {
  ClientConnectionCounter counter(2);
  EXPECT_TRUE(counter.TryAdd(Ip("2001:db8:1:2::1")));
  EXPECT_TRUE(counter.TryAdd(Ip("2001:db8:1:2:ffff::9")));
  EXPECT_FALSE(counter.TryAdd(Ip("2001:db8:1:2:abcd::1")));
  EXPECT_TRUE(counter.TryAdd(Ip("2001:db8:1:3::1")));  // the next /64
  counter.Remove(Ip("2001:db8:1:2::7"));               // any address of the /64 frees a place
  EXPECT_EQ(counter.count(Ip("2001:db8:1:2::1")), 1u);
}

TEST(ClientConnectionCounterTest, AnIpv4MappedAddressIsTheIpv4Client) {
  ClientConnectionCounter counter(1);
  ASSERT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_FALSE(counter.TryAdd(Ip("::ffff:10.0.0.1")));
}

TEST(ClientConnectionCounterTest, ZeroIsNoLimitAndKeepsNoCounts) {
  ClientConnectionCounter counter(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(counter.TryAdd(Ip("10.0.0.1")));
  EXPECT_EQ(counter.clients(), 0u);
}

}  // namespace
}  // namespace shardtrack

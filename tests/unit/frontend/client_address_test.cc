#include "frontend/client_address.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace shardtrack {
namespace {

using State = ConnectionOrigin::State;

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

ClientAddressPolicy Policy(std::vector<std::string> trusted, bool xff = false,
                           bool require = false) {
  auto policy = ClientAddressPolicy::Make(trusted, xff, require);
  EXPECT_TRUE(policy.ok()) << policy.error();
  return *policy;
}

const IpAddress kBalancer = Ip("10.0.0.2");
const IpAddress kStranger = Ip("198.51.100.9");
const std::string kHeader = "PROXY TCP4 203.0.113.7 10.0.0.5 51234 6969\r\n";

TEST(ClientAddressTest, MakeRejectsAnUnparsableRangeAndNamesIt) {
  auto policy = ClientAddressPolicy::Make({"10.0.0.0/8", "10.0.0.0/33"}, false, false);
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.error().find("10.0.0.0/33"), std::string::npos);
}

// With no proxy trusted, --require-proxy-header would refuse every connection, /healthz too, and
// --trust-x-forwarded-for would do nothing: both are start-up errors naming --trusted-proxy.
TEST(ClientAddressTest, MakeRefusesTrustingProxiesWithNoneNamed) {
  for (const auto& [xff, require] : {std::pair{true, false}, std::pair{false, true}}) {
    auto policy = ClientAddressPolicy::Make({}, xff, require);
    ASSERT_FALSE(policy.ok());
    EXPECT_NE(policy.error().find("needs --trusted-proxy"), std::string::npos) << policy.error();
    EXPECT_NE(policy.error().find(require ? "--require-proxy-header" : "--trust-x-forwarded-for"),
              std::string::npos);
  }
}

TEST(ClientAddressTest, TrustsOnlyListedRanges) {
  auto policy = Policy({"10.0.0.0/24", "fd00::/8"});
  EXPECT_TRUE(policy.IsTrusted(kBalancer));
  EXPECT_TRUE(policy.IsTrusted(Ip("fd12::1")));
  EXPECT_FALSE(policy.IsTrusted(Ip("10.0.1.2")));
  EXPECT_FALSE(Policy({}).IsTrusted(Ip("127.0.0.1")));
}

TEST(ClientAddressTest, TrustedProxyHeaderNamesTheClient) {
  auto origin = ResolveConnectionOrigin(Policy({"10.0.0.0/24"}), kBalancer, kHeader + "GET /");
  ASSERT_EQ(origin.state, State::kResolved) << origin.reason;
  EXPECT_EQ(origin.client, Ip("203.0.113.7"));
  EXPECT_EQ(origin.consumed, kHeader.size());
}

TEST(ClientAddressTest, AProxyHeaderNamingNoClientsAddressLeavesTheProxys) {
  for (std::string source : {"0.0.0.0", "224.1.1.1", "255.255.255.255"}) {
    const std::string header = "PROXY TCP4 " + source + " 10.0.0.5 51234 6969\r\n";
    auto origin = ResolveConnectionOrigin(Policy({"10.0.0.0/24"}), kBalancer, header + "GET /");
    ASSERT_EQ(origin.state, State::kResolved) << origin.reason;
    EXPECT_EQ(origin.client, kBalancer) << source;
    EXPECT_EQ(origin.consumed, header.size());
  }
}

TEST(ClientAddressTest, ProxyHeaderFromAnUntrustedSourceIsRefused) {
  auto origin = ResolveConnectionOrigin(Policy({"10.0.0.0/24"}), kStranger, kHeader + "GET /");
  EXPECT_EQ(origin.state, State::kRefused);
  EXPECT_NE(origin.reason.find("198.51.100.9"), std::string::npos);
  // Without any trusted proxy configured, every header is refused.
  EXPECT_EQ(ResolveConnectionOrigin(Policy({}), kBalancer, kHeader).state, State::kRefused);
  // So is a malformed one.
  EXPECT_EQ(ResolveConnectionOrigin(Policy({}), kStranger, "PROXY TCP9\r\n").state,
            State::kRefused);
}

TEST(ClientAddressTest, PlainConnectionKeepsItsPeerAddress) {
  auto policy = Policy({"10.0.0.0/24"});
  for (const auto& peer : {kBalancer, kStranger}) {
    auto origin = ResolveConnectionOrigin(policy, peer, "GET /announce");
    ASSERT_EQ(origin.state, State::kResolved);
    EXPECT_EQ(origin.client, peer);
    EXPECT_EQ(origin.consumed, 0u);
  }
}

TEST(ClientAddressTest, WaitsWhileAHeaderMayStillBeArriving) {
  auto policy = Policy({"10.0.0.0/24"});
  EXPECT_EQ(ResolveConnectionOrigin(policy, kBalancer, "").state, State::kIncomplete);
  EXPECT_EQ(ResolveConnectionOrigin(policy, kBalancer, "PROXY TCP4 2").state, State::kIncomplete);
}

TEST(ClientAddressTest, LocalHeaderFromTheBalancerKeepsThePeerAddress) {
  std::string header = "PROXY UNKNOWN\r\n";
  auto origin = ResolveConnectionOrigin(Policy({"10.0.0.0/24"}), kBalancer, header + "GET");
  ASSERT_EQ(origin.state, State::kResolved);
  EXPECT_EQ(origin.client, kBalancer);
  EXPECT_EQ(origin.consumed, header.size());
}

TEST(ClientAddressTest, MalformedHeaderFromTrustedProxyIsRefused) {
  auto origin =
      ResolveConnectionOrigin(Policy({"10.0.0.0/24"}), kBalancer, "PROXY TCP4 1.2.3.4\r\n");
  EXPECT_EQ(origin.state, State::kRefused);
}

TEST(ClientAddressTest, RequiredHeaderRefusesStrangersAtOnceAndBareTrustedConnections) {
  auto policy = Policy({"10.0.0.0/24"}, false, true);
  EXPECT_EQ(ResolveConnectionOrigin(policy, kStranger, "").state, State::kRefused);
  EXPECT_EQ(ResolveConnectionOrigin(policy, kBalancer, "GET /").state, State::kRefused);
  EXPECT_EQ(ResolveConnectionOrigin(policy, kBalancer, kHeader).state, State::kResolved);
}

TEST(ClientAddressTest, ReadsEachFormOfForwardedForEntry) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  const std::pair<std::string, std::string> forms[] = {
      {" 203.0.113.7:51234", "203.0.113.7"},  {"2001:db8::1 ", "2001:db8::1"},
      {"[2001:db8::2]", "2001:db8::2"},       {"\t[2001:db8::3]:80", "2001:db8::3"},
      {"::ffff:1.2.3.4", "1.2.3.4"},          {"[::ffff:1.2.3.4]", "1.2.3.4"},  // IPv4-mapped
      {"[::ffff:1.2.3.4]:443", "1.2.3.4"},    {"203.0.113.7,, 10.0.0.2,", "203.0.113.7"},
      {",,203.0.113.9 ,\t, ", "203.0.113.9"},
  };
  for (const auto& [value, client] : forms) {
    EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, value), Ip(client)) << value;
  }
}

TEST(ClientAddressTest, ForwardedForOfGarbageOnlyLeavesTheBalancer) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  for (std::string bad : {"[1.2.3.4]", "[2001:db8::1", "[2001:db8::1]x", "1.2.3.4:80:90",
                          "example.com", "1.2.3", "0.0.0.0", "224.0.0.1:80", "255.255.255.255",
                          "[::]", "ff02::1", "unknown", "", " , ,"}) {  // no client's
    EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, bad), kBalancer) << bad;
  }
}

TEST(ClientAddressTest, ForwardedForIsIgnoredUnlessEnabled) {
  EXPECT_EQ(ClientFromForwardedFor(Policy({"10.0.0.0/24"}), kBalancer, "203.0.113.7"), kBalancer);
}

TEST(ClientAddressTest, ForwardedForFromAnUntrustedSourceIsIgnored) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  EXPECT_EQ(ClientFromForwardedFor(policy, kStranger, "203.0.113.7"), kStranger);
}

TEST(ClientAddressTest, ForwardedForGivesTheRightMostUntrustedEntry) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  // The client forged the left-most entry; the trusted chain appended the rest.
  EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, "1.1.1.1, 203.0.113.7, 10.0.0.3"),
            Ip("203.0.113.7"));
  EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, ""), kBalancer);
}

TEST(ClientAddressTest, ForwardedForOfTrustedHopsOnlyGivesTheLeftMost) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, "10.0.0.7, 10.0.0.3"), Ip("10.0.0.7"));
}

TEST(ClientAddressTest, ForwardedForStopsAtGarbageAtTheLastTrustedHop) {
  auto policy = Policy({"10.0.0.0/24"}, true);
  EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, "203.0.113.7, unknown, 10.0.0.3"),
            Ip("10.0.0.3"));
  EXPECT_EQ(ClientFromForwardedFor(policy, kBalancer, "203.0.113.7, garbage"), kBalancer);
}

TEST(ClientAddressTest, ForwardedForAppliesAfterAProxyHeaderNamingATrustedHop) {
  // A trusted CDN hop reached the balancer, which named it in the PROXY header.
  auto policy = Policy({"10.0.0.0/24", "192.0.2.0/24"}, true);
  auto origin =
      ResolveConnectionOrigin(policy, kBalancer, "PROXY TCP4 192.0.2.10 10.0.0.5 4000 6969\r\n");
  ASSERT_EQ(origin.state, State::kResolved);
  EXPECT_EQ(ClientFromForwardedFor(policy, origin.client, "203.0.113.7"), Ip("203.0.113.7"));
}

}  // namespace
}  // namespace shardtrack

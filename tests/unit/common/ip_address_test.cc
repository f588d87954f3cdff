#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace shardtrack {
namespace {

TEST(IpAddressTest, ParsesIpv4AndIpv6) {
  auto v4 = IpAddress::Parse("192.0.2.7");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->raw(), std::string_view("\xc0\x00\x02\x07", 4));
  EXPECT_EQ(v4->ToString(), "192.0.2.7");
  auto v6 = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->raw().size(), 16u);
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
}

TEST(IpAddressTest, StoresMappedIpv6AsIpv4) {
  auto mapped = IpAddress::Parse("::ffff:10.1.2.3");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_v4());
  EXPECT_EQ(mapped->ToString(), "10.1.2.3");
}

TEST(IpAddressTest, RejectsGarbage) {
  EXPECT_FALSE(IpAddress::Parse(""));
  EXPECT_FALSE(IpAddress::Parse("1.2.3"));
  EXPECT_FALSE(IpAddress::Parse("1.2.3.256"));
  EXPECT_FALSE(IpAddress::Parse("example.com"));
  EXPECT_FALSE(IpAddress::FromRaw("abc"));
}

TEST(IpAddressTest, RejectsAnEmbeddedNul) {
  using namespace std::string_view_literals;
  EXPECT_FALSE(IpAddress::Parse("1.2.3.4\0junk"sv));
}

TEST(IpAddressTest, KnowsLinkLocalAddresses) {
  for (const char* link : {"169.254.0.1", "169.254.255.255", "fe80::1", "febf::1"}) {
    EXPECT_TRUE(IpAddress::Parse(link)->IsLinkLocal()) << link;
  }
  for (const char* other : {"169.253.0.1", "10.0.0.1", "fec0::1", "fe7f::1", "::1"}) {
    EXPECT_FALSE(IpAddress::Parse(other)->IsLinkLocal()) << other;
  }
}

TEST(IpAddressTest, KnowsAddressesNoPeerCanHave) {
  for (const char* peer : {"1.0.0.0", "8.8.8.8", "127.0.0.1", "223.255.255.255", "::1",
                           "2001:db8::1", "fe80::1", "::ffff:10.0.0.1"}) {
    EXPECT_TRUE(IpAddress::Parse(peer)->CanBePeer()) << peer;
  }
  for (const char* none : {"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.255", "240.0.0.1",
                           "255.255.255.255", "::", "ff02::1", "::ffff:0.0.0.0"}) {
    EXPECT_FALSE(IpAddress::Parse(none)->CanBePeer()) << none;
  }
}

TEST(IpAddressTest, KnowsLocalSources) {
  for (const char* local : {"127.0.0.1", "10.9.8.7", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                            "169.254.0.1", "::1", "fd00::1", "fe80::1"}) {
    EXPECT_TRUE(IpAddress::Parse(local)->IsLocal()) << local;
  }
  for (const char* remote : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:db8::1"}) {
    EXPECT_FALSE(IpAddress::Parse(remote)->IsLocal()) << remote;
  }
}

TEST(IpAddressTest, As16GivesIpv4InItsMappedFormWhichReadsBackAsIpv4) {
  const IpAddress v4 = *IpAddress::Parse("192.0.2.7");
  const auto bytes = v4.As16();
  EXPECT_EQ(*IpAddress::FromRaw({reinterpret_cast<const char*>(bytes.data()), 16}), v4);
  EXPECT_EQ(bytes[10], 0xff);
  EXPECT_EQ(bytes[12], 192);
  const IpAddress v6 = *IpAddress::Parse("2001:db8::1");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(v6.As16().data()), 16), v6.raw());
}

TEST(CidrTest, MatchesPrefixes) {
  auto net = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("10.200.1.1")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("11.0.0.1")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("::1")));
  auto odd = Cidr::Parse("192.168.4.0/22");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->Contains(*IpAddress::Parse("192.168.7.255")));
  EXPECT_FALSE(odd->Contains(*IpAddress::Parse("192.168.8.0")));
  auto host = Cidr::Parse("::1");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->Contains(*IpAddress::Parse("::1")));
  EXPECT_EQ(host->ToString(), "::1/128");
}

TEST(CidrTest, KnowsItsFirstAndLastAddressAndMappedBlocks) {
  auto odd = Cidr::Parse("192.168.5.9/22");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->first().ToString(), "192.168.4.0");
  EXPECT_EQ(odd->last().ToString(), "192.168.7.255");
  auto v6 = Cidr::Parse("2001:db8::1/32");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->first().ToString(), "2001:db8::");
  EXPECT_EQ(v6->last().ToString(), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  auto mapped = Cidr::Parse("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->ToString(), "10.0.0.0/8");
  EXPECT_TRUE(mapped->Contains(*IpAddress::Parse("10.1.2.3")));
  EXPECT_EQ(Cidr::Read("::ffff:10.0.0.0/8").error(), "the prefix must be 96 to 128");
  EXPECT_EQ(Cidr::Read("10.0.0.0/33").error(), "the prefix must be 0 to 32");
}

TEST(CidrTest, RejectsBadPrefixes) {
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/x"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::Parse("nope/8"));
  for (const char* odd : {"1.2.3.4/-0", "10.0.0.0/+8", "10.0.0.0/0008", "10.0.0.0/08", "::/0128",
                          "10.0.0.0/ 8", "10.0.0.0/8 "}) {
    EXPECT_FALSE(Cidr::Parse(odd)) << odd;
  }
  EXPECT_EQ(Cidr::Parse("0.0.0.0/0")->ToString(), "0.0.0.0/0");
  EXPECT_EQ(Cidr::Parse("::/128")->ToString(), "::/128");
}

TEST(CidrTest, AnIpv6BlockOtherThanAMappedOneHoldsNoIpv4Address) {
  for (const char* block : {"::/0", "::/80", "::fffe:0:0/95"}) {
    EXPECT_FALSE(Cidr::Parse(block)->Contains(*IpAddress::Parse("203.0.113.1"))) << block;
  }
  EXPECT_TRUE(Cidr::Parse("::ffff:0.0.0.0/96")->Contains(*IpAddress::Parse("203.0.113.1")));
}

// As a URL or a ZeroMQ endpoint writes an address: "--bind [::1]" once logged http://[[::1]]:P.
TEST(IpAddressTest, BracketsGoOnAnIpv6LiteralOnceAndComeOffAsTheyWent) {
  EXPECT_EQ(BracketedIfIpv6("::1"), "[::1]");
  EXPECT_EQ(BracketedIfIpv6("[::1]"), "[::1]");
  EXPECT_EQ(BracketedIfIpv6("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(BracketedIfIpv6("shard-0"), "shard-0");
  EXPECT_EQ(Unbracketed("[::1]"), "::1");
  EXPECT_EQ(Unbracketed("::1"), "::1");
  EXPECT_EQ(Unbracketed("[::1"), "[::1");
  EXPECT_EQ(Unbracketed("[]"), "");
}

}  // namespace
}  // namespace shardtrack

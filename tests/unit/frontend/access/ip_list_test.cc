// ParseIpList: addresses, CIDR blocks and ranges of either family, notes after the entry, and a
// bad line named by its number. IpList: lookups at every range's edges, merging, families apart.
// IpAccess: deny and allow modes, and what it counts.
#include "frontend/access/ip_list.h"

#include <gtest/gtest.h>

#include <string>

#include "frontend/access/ip_access.h"

namespace shardtrack {
namespace {

IpAddress Ip(std::string_view text) { return IpAddress::Parse(text).value(); }

IpList Parse(std::string_view text) {
  auto list = ParseIpList(text);
  EXPECT_TRUE(list) << list.error();
  return list ? *list : IpList();
}

TEST(IpListTest, MatchesAddressesBlocksAndRangesUpToTheirEdges) {
  const IpList list = Parse(
      "# abusers\n"
      "192.0.2.7   one host\n"
      "10.0.0.0/8\n"
      "198.51.100.10-198.51.100.20  a range\n"
      "2001:db8::/32\n");
  EXPECT_EQ(list.size(), 4u);
  EXPECT_TRUE(list.Contains(Ip("192.0.2.7")));
  EXPECT_FALSE(list.Contains(Ip("192.0.2.6")));
  EXPECT_FALSE(list.Contains(Ip("192.0.2.8")));
  EXPECT_TRUE(list.Contains(Ip("10.0.0.0")));
  EXPECT_TRUE(list.Contains(Ip("10.255.255.255")));
  EXPECT_FALSE(list.Contains(Ip("11.0.0.0")));
  EXPECT_FALSE(list.Contains(Ip("9.255.255.255")));
  EXPECT_TRUE(list.Contains(Ip("198.51.100.10")));
  EXPECT_TRUE(list.Contains(Ip("198.51.100.20")));
  EXPECT_FALSE(list.Contains(Ip("198.51.100.21")));
  EXPECT_TRUE(list.Contains(Ip("2001:db8:ffff::1")));
  EXPECT_FALSE(list.Contains(Ip("2001:db9::1")));
}

// Blocklists often write ranges with blanks around the dash: the whole range is listed, not its
// first address; a note that merely starts with a dash leaves the address alone.
TEST(IpListTest, ARangeSpelledWithBlanksAroundItsDashIsTheWholeRange) {
  const IpList list = Parse(
      "203.0.113.10 - 203.0.113.90   a flood\n"
      "198.51.100.1 -198.51.100.3\n"
      "198.51.100.7-\t198.51.100.9 note\n"
      "2001:db8::1 - 2001:db8::5\n"
      "192.0.2.7 -- a scraper\n"
      "192.0.2.20 - a note\n");
  EXPECT_EQ(list.size(), 6u);
  for (const char* listed : {"203.0.113.10", "203.0.113.50", "203.0.113.90", "198.51.100.2",
                             "198.51.100.8", "2001:db8::3", "192.0.2.7", "192.0.2.20"}) {
    EXPECT_TRUE(list.Contains(Ip(listed))) << listed;
  }
  for (const char* unlisted :
       {"203.0.113.91", "198.51.100.4", "198.51.100.6", "2001:db8::6", "192.0.2.8", "192.0.2.21"}) {
    EXPECT_FALSE(list.Contains(Ip(unlisted))) << unlisted;
  }
}

// A range so spelled is read as one: a bad one is refused, naming its line, as without blanks.
TEST(IpListTest, ABadRangeSpelledWithBlanksIsAnErrorNotItsFirstAddress) {
  for (const char* line : {"203.0.113.90 - 203.0.113.10", "10.0.0.1 -10.0.0.300",
                           "10.0.0.1 - 2001:db8::1", "10.0.0.1- 10.0.0.300 note"}) {
    auto list = ParseIpList(std::string("192.0.2.1\n") + line + "\n");
    ASSERT_FALSE(list) << line;
    EXPECT_EQ(list.error().rfind("line 2 ", 0), 0u) << list.error();
  }
}

TEST(IpListTest, KeepsTheFamiliesApartAndTakesMappedAddressesAsIpv4) {
  const IpList list = Parse("0.0.0.0/0\n");
  EXPECT_TRUE(list.Contains(Ip("203.0.113.1")));
  EXPECT_TRUE(list.Contains(Ip("::ffff:203.0.113.1")));
  EXPECT_FALSE(list.Contains(Ip("2001:db8::1")));  // ::/0 would be IPv6's whole space
  EXPECT_TRUE(Parse("::/0\n").Contains(Ip("2001:db8::1")));
  const IpList mapped = Parse("::ffff:10.0.0.0/104\n");  // 10.0.0.0/8 written as IPv6
  EXPECT_TRUE(mapped.Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(mapped.Contains(Ip("11.0.0.1")));
  EXPECT_FALSE(Parse("::/0\n").Contains(Ip("203.0.113.1")));
}

TEST(IpListTest, OverlappingAndAdjacentEntriesMerge) {
  const IpList list =
      Parse("10.0.0.0/24\n10.0.0.128/25\n10.0.1.0-10.0.1.9\n10.0.0.5\n10.0.3.0/24\n");
  for (const char* inside : {"10.0.0.0", "10.0.0.255", "10.0.1.0", "10.0.1.9", "10.0.3.7"}) {
    EXPECT_TRUE(list.Contains(Ip(inside))) << inside;
  }
  for (const char* outside : {"10.0.1.10", "10.0.2.255", "10.0.4.0", "9.255.255.255"}) {
    EXPECT_FALSE(list.Contains(Ip(outside))) << outside;
  }
  EXPECT_EQ(list.size(), 5u);  // what the file gave
  EXPECT_FALSE(IpList().Contains(Ip("10.0.0.1")));
}

TEST(IpListTest, ABadLineIsAnErrorNamingItsNumberAndWhatIsWrong) {
  const auto error_of = [](std::string_view text) {
    auto list = ParseIpList(text);
    return list ? std::string("accepted") : list.error();
  };
  EXPECT_EQ(error_of("10.0.0.0/8\n10.0.0.0/33\n").rfind("line 2 ", 0), 0u);
  EXPECT_NE(error_of("10.0.0.0/33\n").find("the prefix must be 0 to 32"), std::string::npos);
  EXPECT_NE(error_of("::/129\n").find("0 to 128"), std::string::npos);
  EXPECT_NE(error_of("::ffff:10.0.0.0/8\n").find("96 to 128"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.0/x\n").find("prefix"), std::string::npos);
  EXPECT_NE(error_of("example.org\n").find("not an IPv4 or IPv6 address"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.9-10.0.0.1\n").find("end before it starts"), std::string::npos);
  EXPECT_NE(error_of("10.0.0.1-::1\n").find("mix"), std::string::npos);
}

TEST(IpAccessTest, DenyRefusesTheListedAndAllowServesOnlyThem) {
  IpAccess deny(AccessMode::kDeny, Parse("192.0.2.0/24\n"));
  EXPECT_FALSE(deny.Admit(Ip("192.0.2.1")));
  EXPECT_TRUE(deny.Admit(Ip("198.51.100.1")));
  EXPECT_EQ(deny.refused(), 1u);
  IpAccess allow(AccessMode::kAllow, Parse("192.0.2.0/24\n"));
  EXPECT_TRUE(allow.Admit(Ip("192.0.2.1")));
  EXPECT_FALSE(allow.Admit(Ip("198.51.100.1")));
  IpAccess off;
  EXPECT_TRUE(off.Admit(Ip("192.0.2.1")));
}

}  // namespace
}  // namespace shardtrack

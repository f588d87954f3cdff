// ClientList and ClientAccess: peer id prefixes parsed with %XX escapes and notes, matched by
// prefix whatever else the list holds; allow and deny modes; refusals and reloads counted.
#include "frontend/access/client_list.h"

#include <gtest/gtest.h>

#include <string>

#include "frontend/access/client_access.h"

namespace shardtrack {
namespace {

using namespace std::string_literals;

ClientList Parsed(std::string_view text) {
  auto list = ParseClientList(text);
  EXPECT_TRUE(list) << list.error();
  return list ? *list : ClientList();
}

TEST(ClientListTest, MatchesPeerIdsByTheirFirstBytes) {
  const ClientList list({"-qB4", "-TR3", "M7-"});
  EXPECT_TRUE(list.Matches("-qB4630-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("-TR3000-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("M7-4-0--abcdefghijkl"));
  EXPECT_FALSE(list.Matches("-qB3630-abcdefghijkl"));
  EXPECT_FALSE(list.Matches("-TR4000-abcdefghijkl"));
  EXPECT_FALSE(list.Matches("-qB"));  // shorter than the prefix
  EXPECT_FALSE(list.Matches(""));
  EXPECT_FALSE(ClientList().Matches("-qB4630-abcdefghijkl"));
}

TEST(ClientListTest, APrefixStillMatchesWhenLongerEntriesSortBetweenItAndThePeerId) {
  // "-A" covers "-AB1" and "-AZ": the greatest entry not above "-AC..." is "-AB1", which does
  // not start it, so only keeping the shortest of a family makes one search enough.
  const ClientList list({"-AB1", "-A", "-AZ", "-B2", "-B20"});
  EXPECT_EQ(list.size(), 2u);  // "-A" and "-B2"
  EXPECT_TRUE(list.Matches("-AC0000-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("-AZ0000-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("-B21000-abcdefghijkl"));
  EXPECT_FALSE(list.Matches("-B30000-abcdefghijkl"));
  EXPECT_FALSE(list.Matches("-0000000-abcdefghijk"));
}

TEST(ClientListTest, ParsesOnePrefixALineWithNotesCommentsAndEscapes) {
  const ClientList list = Parsed(
      "# clients this tracker refuses\n"
      "-XL0012-   Xunlei: reports uploads it never made\n"
      "\n"
      "  -SD0100-\tXunlei too\r\n"
      "%00%ff%25\n");
  EXPECT_EQ(list.size(), 3u);
  EXPECT_TRUE(list.Matches("-XL0012-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("-SD0100-abcdefghijkl"));
  EXPECT_TRUE(list.Matches("\x00\xff%abcdefghijklmnopq"s));
  EXPECT_FALSE(list.Matches("-XL0013-abcdefghijkl"));
}

TEST(ClientListTest, ABadLineMakesTheWholeTextAnErrorNamingIt) {
  struct Case {
    std::string text;
    std::string mentions;
  };
  for (const Case& bad :
       {Case{"-qB4\n-XL%2\n", "line 2"}, Case{"-XL%zz1\n", "two hex digits"},
        Case{"%\n", "two hex digits"}, Case{"-qB4\n-TR3\n123456789012345678901\n", "line 3"},
        Case{"-q\x01"
             "B4\n",
             "not printable"}}) {
    auto list = ParseClientList(bad.text);
    ASSERT_FALSE(list) << bad.text;
    EXPECT_NE(list.error().find(bad.mentions), std::string::npos) << list.error();
  }
  auto twenty = ParseClientList("12345678901234567890\n");  // a whole peer id is a prefix
  ASSERT_TRUE(twenty) << twenty.error();
  EXPECT_TRUE(twenty->Matches("12345678901234567890"));
}

TEST(ClientAccessTest, OffAdmitsEveryClient) {
  ClientAccess clients;
  EXPECT_FALSE(clients.enabled());
  EXPECT_TRUE(clients.Admit("-XL0012-abcdefghijkl"));
  EXPECT_EQ(clients.counters().refused_announces, 0u);
}

TEST(ClientAccessTest, AllowModeAdmitsOnlyListedClientsAndCountsTheRest) {
  ClientAccess clients(AccessMode::kAllow, ClientList({"-qB", "-TR"}));
  EXPECT_TRUE(clients.Admit("-qB4630-abcdefghijkl"));
  EXPECT_TRUE(clients.Admit("-TR3000-abcdefghijkl"));
  EXPECT_FALSE(clients.Admit("-XL0012-abcdefghijkl"));
  EXPECT_FALSE(clients.Admit("-lt0D60-abcdefghijkl"));
  EXPECT_EQ(clients.counters().refused_announces, 2u);
}

TEST(ClientAccessTest, DenyModeRefusesOnlyListedClients) {
  ClientAccess clients(AccessMode::kDeny, ClientList({"-XL"}));
  EXPECT_FALSE(clients.Admit("-XL0012-abcdefghijkl"));
  EXPECT_TRUE(clients.Admit("-qB4630-abcdefghijkl"));
  EXPECT_EQ(clients.counters().refused_announces, 1u);
}

TEST(ClientAccessTest, AReplacedListTakesEffectAndReloadsAreCounted) {
  ClientAccess clients(AccessMode::kDeny, ClientList({"-XL"}));
  clients.Replace(ClientList({"-qB"}));
  clients.CountFailedReload();
  EXPECT_TRUE(clients.Admit("-XL0012-abcdefghijkl"));
  EXPECT_FALSE(clients.Admit("-qB4630-abcdefghijkl"));
  EXPECT_EQ(clients.entries(), 1u);
  EXPECT_EQ(clients.reloads().ok, 1u);
  EXPECT_EQ(clients.reloads().failed, 1u);
}

}  // namespace
}  // namespace shardtrack

// PasskeyAccess admits members only when on, says why it refused and counts it; a reloaded list
// replaces the old one. SplitPasskeyPath finds the passkey in /<passkey>/announce and /scrape.
#include "frontend/access/passkey_access.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

TEST(PasskeyAccessTest, OffAdmitsEveryRequest) {
  PasskeyAccess off;
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.Admit(""), "");
  EXPECT_EQ(off.Admit("anything"), "");
  EXPECT_EQ(off.counters().refused_missing + off.counters().refused_unknown, 0u);
}

TEST(PasskeyAccessTest, OnAdmitsListedPasskeysAndCountsWhatItRefuses) {
  PasskeyAccess access(PasskeyList({"alice-key", "bob-key"}));
  EXPECT_TRUE(access.enabled());
  EXPECT_EQ(access.entries(), 2u);
  EXPECT_EQ(access.Admit("alice-key"), "");
  EXPECT_EQ(access.Admit(""), kPasskeyMissingReason);
  EXPECT_EQ(access.Admit("mallory-key"), kPasskeyUnknownReason);
  EXPECT_EQ(access.Admit("alice-ke"), kPasskeyUnknownReason);
  EXPECT_EQ(access.counters().refused_missing, 1u);
  EXPECT_EQ(access.counters().refused_unknown, 2u);
}

TEST(PasskeyAccessTest, AReloadedListTakesThePlaceOfTheOld) {
  PasskeyAccess access(PasskeyList({"old-key"}));
  access.Replace(PasskeyList({"new-key"}));
  EXPECT_EQ(access.Admit("new-key"), "");
  EXPECT_EQ(access.Admit("old-key"), kPasskeyUnknownReason);
  access.CountFailedReload();
  EXPECT_EQ(access.counters().reloads_ok, 1u);
  EXPECT_EQ(access.counters().reloads_failed, 1u);
}

TEST(PasskeyAccessTest, AnEmptyListRefusesEveryone) {
  PasskeyAccess access{PasskeyList()};
  EXPECT_TRUE(access.enabled());
  EXPECT_EQ(access.Admit("anyone"), kPasskeyUnknownReason);
}

TEST(SplitPasskeyPathTest, TakesThePasskeyFromAnnounceAndScrapePaths) {
  const PasskeyPath announce = SplitPasskeyPath("/0123abcd/announce");
  EXPECT_EQ(announce.route, "/announce");
  EXPECT_EQ(announce.passkey, "0123abcd");
  const PasskeyPath scrape = SplitPasskeyPath("/0123abcd/scrape");
  EXPECT_EQ(scrape.route, "/scrape");
  EXPECT_EQ(scrape.passkey, "0123abcd");
  const PasskeyPath empty = SplitPasskeyPath("//announce");
  EXPECT_EQ(empty.route, "/announce");
  EXPECT_EQ(empty.passkey, "");
}

TEST(SplitPasskeyPathTest, LeavesEveryOtherPathAsItIs) {
  for (const std::string path :
       {"/announce", "/scrape", "/", "/metrics", "/key/metrics", "/a/b/announce", "/key/announce/",
        "/key/announcer", "announce", "/announce/key", ""}) {
    const PasskeyPath split = SplitPasskeyPath(path);
    EXPECT_EQ(split.route, path);
    EXPECT_EQ(split.passkey, "") << path;
  }
}

}  // namespace
}  // namespace shardtrack

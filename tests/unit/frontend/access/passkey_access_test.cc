// PasskeyAccess admits members only when on, says why it refused and counts it; a reloaded list
// replaces the old one. FindPasskey finds the passkey in each form trackers put in torrents.
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
  EXPECT_EQ(access.reloads().ok, 1u);
  EXPECT_EQ(access.reloads().failed, 1u);
}

TEST(PasskeyAccessTest, AnEmptyListRefusesEveryone) {
  PasskeyAccess access{PasskeyList()};
  EXPECT_TRUE(access.enabled());
  EXPECT_EQ(access.Admit("anyone"), kPasskeyUnknownReason);
}

TEST(FindPasskeyTest, TakesThePasskeyFromTheFormsTrackersPutInTorrents) {
  struct Case {
    std::string_view path, query, route, passkey;
  };
  for (const Case& c : std::vector<Case>{
           {"/0123abcd/announce", "info_hash=x", "/announce", "0123abcd"},  // XBT, Ocelot
           {"/0123abcd/scrape", "", "/scrape", "0123abcd"},
           {"/announce/0123abcd", "info_hash=x", "/announce", "0123abcd"},  // UNIT3D
           {"/scrape/0123abcd", "", "/scrape", "0123abcd"},
           {"/announce", "info_hash=x&passkey=0123abcd&port=1", "/announce", "0123abcd"},
           {"/scrape", "passkey=0123abcd", "/scrape", "0123abcd"},
           {"/0123abcd/announce", "passkey=other", "/announce", "0123abcd"},  // the path first
           {"/announce", "info_hash=x", "/announce", ""},
           {"/announce", "xpasskey=0123abcd", "/announce", ""},
           {"//announce", "", "/announce", ""},
           {"/announce/", "", "/announce", ""},
           {"/announce", "passkey=a%62c", "/announce", "a%62c"},     // as written
           {"/0123abcd/announce.php", "", "/announce", "0123abcd"},  // other spellings
           {"/scrape.php/0123abcd", "", "/scrape", "0123abcd"},
           {"/announce.php", "passkey=0123abcd", "/announce", "0123abcd"},
       }) {
    const PasskeyPath found = FindPasskey(c.path, c.query);
    EXPECT_EQ(found.route, c.route) << c.path << "?" << c.query;
    EXPECT_EQ(found.passkey, c.passkey) << c.path << "?" << c.query;
  }
}

TEST(FindPasskeyTest, LeavesEveryOtherPathAsItIs) {
  for (const std::string path :
       {"/", "/metrics", "/key/metrics", "/a/b/announce", "/key/announce/", "/key/announcer",
        "/key/announce.html", "announce", "/healthz/key", "", "key/announce", "announce/key"}) {
    const PasskeyPath found = FindPasskey(path, "passkey=abc");
    EXPECT_EQ(found.route, path);
    EXPECT_EQ(found.passkey, "") << path;
  }
}

}  // namespace
}  // namespace shardtrack

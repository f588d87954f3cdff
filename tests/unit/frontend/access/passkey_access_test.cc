// PasskeyAccess admits members only when on, says why it refused and counts it; a reloaded list
// replaces the old one.
#include "frontend/access/passkey_access.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shardtrack

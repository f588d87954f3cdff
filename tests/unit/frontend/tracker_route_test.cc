#include "frontend/tracker_route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shardtrack {
namespace {

TEST(TrackerRouteTest, TakesTheSpellingsOlderTrackersPublished) {
  for (std::string_view path : {"/announce", "/announce.php", "/announce/"}) {
    EXPECT_EQ(TrackerRouteOf(path), kAnnounceRoute) << path;
  }
  for (std::string_view path : {"/scrape", "/scrape.php", "/scrape/"}) {
    EXPECT_EQ(TrackerRouteOf(path), kScrapeRoute) << path;
  }
}

TEST(TrackerRouteTest, LeavesEveryOtherPathAsItIs) {
  for (std::string_view path :
       {"/", "/metrics", "/announcer", "/announce.phpx", "/announce//", "/announce/x", "/scrape.",
        "announce", "/Announce", "/announce.PHP", "", "/a/announce"}) {
    EXPECT_EQ(TrackerRouteOf(path), std::nullopt) << path;
  }
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

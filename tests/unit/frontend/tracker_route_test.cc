#include "frontend/tracker_route.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace shardtrack

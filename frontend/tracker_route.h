// TrackerRoute: which tracker route an HTTP path names. Sites moving from older trackers keep the
// torrents they published, so "/announce.php" and "/scrape.php" (TBDev-era sites) and a trailing
// slash ("/announce/") name "/announce" and "/scrape" as opentracker and XBT take them. Pure.
#pragma once

#include <string_view>

namespace shardtrack {

inline constexpr std::string_view kAnnounceRoute = "/announce";
inline constexpr std::string_view kScrapeRoute = "/scrape";

// kAnnounceRoute or kScrapeRoute for their spellings; any other path as it is.
std::string_view TrackerRoute(std::string_view path);

inline bool IsTrackerRoute(std::string_view path) {
  const std::string_view route = TrackerRoute(path);
  return route == kAnnounceRoute || route == kScrapeRoute;
}

}  // namespace shardtrack

// TrackerRouteOf: which tracker route an HTTP path names. Sites moving from older trackers keep the
// torrents they published, so "/announce.php" and "/scrape.php" (TBDev-era sites) and a trailing
// slash ("/announce/") name "/announce" and "/scrape" as opentracker and XBT take them. Pure.
#pragma once

#include <optional>
#include <string_view>

namespace shardtrack {

inline constexpr std::string_view kAnnounceRoute = "/announce";
inline constexpr std::string_view kScrapeRoute = "/scrape";

// kAnnounceRoute or kScrapeRoute for their spellings; nullopt for any other path.
std::optional<std::string_view> TrackerRouteOf(std::string_view path);

}  // namespace shardtrack

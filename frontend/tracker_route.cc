#include "frontend/tracker_route.h"

namespace shardtrack {

std::optional<std::string_view> TrackerRouteOf(std::string_view path) {
  for (std::string_view route : {kAnnounceRoute, kScrapeRoute}) {
    if (!path.starts_with(route)) continue;
    const std::string_view rest = path.substr(route.size());
    if (rest.empty() || rest == "/" || rest == ".php") return route;
  }
  return std::nullopt;
}

}  // namespace shardtrack

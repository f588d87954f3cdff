#include "frontend/tracker_route.h"

namespace shardtrack {

std::string_view TrackerRoute(std::string_view path) {
  for (std::string_view route : {kAnnounceRoute, kScrapeRoute}) {
    if (!path.starts_with(route)) continue;
    const std::string_view rest = path.substr(route.size());
    if (rest.empty() || rest == "/" || rest == ".php") return route;
  }
  return path;
}

}  // namespace shardtrack

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

namespace {

std::string_view PasskeyParameter(std::string_view query) {
  constexpr std::string_view kKey = "passkey=";
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    if (pair.starts_with(kKey)) return pair.substr(kKey.size());
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace

PasskeyPath FindPasskey(std::string_view path, std::string_view query) {
  if (const auto route = TrackerRouteOf(path)) return {*route, PasskeyParameter(query)};
  const std::size_t slash = path.rfind('/');
  if (!path.starts_with('/') || slash == 0 || slash == std::string_view::npos ||
      path.find('/', 1) != slash) {
    return {path, {}};
  }
  const std::string_view first = path.substr(0, slash);
  const std::string_view last = path.substr(slash);
  if (const auto route = TrackerRouteOf(last)) return {*route, first.substr(1)};  // /<key>/announce
  if (const auto route = TrackerRouteOf(first)) return {*route, last.substr(1)};  // /announce/<key>
  return {path, {}};
}

}  // namespace shardtrack

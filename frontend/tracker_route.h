// TrackerRouteOf: which tracker route an HTTP path names. Sites moving from older trackers keep the
// torrents they published, so "/announce.php" and "/scrape.php" (TBDev-era sites) and a trailing
// slash ("/announce/") name "/announce" and "/scrape" as opentracker and XBT take them.
// FindPasskey reads a members-only tracker's forms, with the passkey in the path or query. Pure.
#pragma once

#include <optional>
#include <string_view>

namespace shardtrack {

inline constexpr std::string_view kAnnounceRoute = "/announce";
inline constexpr std::string_view kScrapeRoute = "/scrape";

// kAnnounceRoute or kScrapeRoute for their spellings; nullopt for any other path.
std::optional<std::string_view> TrackerRouteOf(std::string_view path);

// A request's route and passkey: "/<passkey>/announce" (XBT, Ocelot: BEP 48 derives the scrape
// URL from it) and "/announce/<passkey>" (UNIT3D) are {"/announce", "<passkey>"}, "/announce"
// with "passkey=<passkey>" in `query` (TBDev-style sites) too, and the same for scrape and for
// the routes' other spellings (TrackerRouteOf: "/<passkey>/announce.php", ...). The passkey is
// taken as written (never percent-decoded: a passkey needs no escapes). Any other path is its own
// route with no passkey.
struct PasskeyPath {
  std::string_view route;
  std::string_view passkey;
};
PasskeyPath FindPasskey(std::string_view path, std::string_view query);

}  // namespace shardtrack

#include "frontend/access/torrent_access.h"

namespace shardtrack {

std::optional<AccessMode> ParseAccessMode(std::string_view text) {
  if (text == "allow") return AccessMode::kAllow;
  if (text == "deny") return AccessMode::kDeny;
  return std::nullopt;
}

bool TorrentAccess::AdmitAnnounce(const InfoHash& info_hash) {
  if (Serves(info_hash)) return true;
  ++counters_.refused_announces;
  return false;
}

bool TorrentAccess::AdmitScrape(const InfoHash& info_hash) {
  if (Serves(info_hash)) return true;
  ++counters_.refused_scrapes;
  return false;
}

}  // namespace shardtrack

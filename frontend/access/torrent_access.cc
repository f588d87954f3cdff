#include "frontend/access/torrent_access.h"

#include <utility>

namespace shardtrack {

std::optional<AccessMode> ParseAccessMode(std::string_view text) {
  if (text == "allow") return AccessMode::kAllow;
  if (text == "deny") return AccessMode::kDeny;
  return std::nullopt;
}

TorrentAccess::TorrentAccess(AccessMode mode, AccessList list)
    : enabled_(true), mode_(mode), list_(std::move(list)) {}

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

void TorrentAccess::Replace(AccessList list) {
  list_ = std::move(list);
  ++counters_.reloads_ok;
}

}  // namespace shardtrack

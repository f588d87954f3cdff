#include "frontend/access/torrent_access.h"

namespace shardtrack {

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

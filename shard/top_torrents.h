// TopTorrents: the `capacity` torrents with the most peers among those offered (none without
// peers), ties to the smaller infohash. A heap with the weakest on top, so an offer that does not
// make the cut costs one comparison. The info page's list comes from it: from a scan of a small
// table, or gathered by the expiry sweep over a large one (no request then walks every torrent).
// Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/fixed_bytes.h"

namespace shardtrack {

class TopTorrents {
 public:
  explicit TopTorrents(std::size_t capacity) : capacity_(capacity) {}

  void Offer(const InfoHash& info_hash, std::uint64_t peers);
  // The torrents kept, best first; leaves this empty for the next round.
  std::vector<InfoHash> TakeBest();

 private:
  struct Entry {
    std::uint64_t peers = 0;
    InfoHash info_hash;
  };
  // The heap's order: `a` ranks above `b` (more peers, then the smaller infohash).
  static bool Better(const Entry& a, const Entry& b) {
    return a.peers != b.peers ? a.peers > b.peers : a.info_hash < b.info_hash;
  }

  std::size_t capacity_;
  std::vector<Entry> heap_;
};

}  // namespace shardtrack

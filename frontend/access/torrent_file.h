// What a tracker takes from a .torrent file (BEP 3, BEP 52): the infohashes under which clients
// announce its torrent (the SHA-1 of the raw bytes of its `info` dictionary for a v1 torrent; for
// a v2 torrent, `meta version` 2 in info, the first 20 bytes of their SHA-256; both for a hybrid,
// v2 with v1's `pieces`, whose clients announce under each), and its name (info's `name`, for
// scrape replies and the info page, cut to kMaxTorrentNameBytes). Pure.
//
// The bytes are hashed as they stand in the file, so a torrent whose keys some old tool wrote
// out of order still gets the infohash its clients use: the scan checks the structure only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/result.h"

namespace shardtrack {

inline constexpr std::size_t kMaxTorrentNameBytes = 200;

struct TorrentIdentity {
  std::vector<InfoHash> info_hashes;  // one or two
  std::string name;                   // may be empty
};

// The torrent's identity, or an error such as "no info dictionary" or "bad bencoding at 130".
Result<TorrentIdentity> IdentifyTorrent(std::string_view torrent);

}  // namespace shardtrack

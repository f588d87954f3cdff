// The original tracker's dfile (BitTorrent 3.x bttrack.py, BitTornado), for import and export.
// A bencoded dict:
//   'peers':     {infohash: {peer id: {'ip': str, 'port': int, 'left': int, ...}}}
//   'completed': {infohash: int}
// or, as the oldest bttrack.py wrote it (which later versions still read), the 'peers' dict alone.
// and, in BitTornado, 'allowed' / 'allowed_dir_files' / 'allowed_list', which a shardtrack data
// directory has no place for (import reports and ignores them). Peers carry no time in that
// format: imported peers are stamped with the import time. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/torrent_record.h"

namespace shardtrack {

struct ImportedDfile {
  std::vector<TorrentRecord> torrents;  // in infohash order
  std::uint64_t skipped_peers = 0;      // an ip that is not an address, or a bad port
  // Entries of 'peers' or 'completed' whose key is not a 20-byte infohash, or whose value is not
  // a dict of peers or a count: what the rest of the file holds is still imported.
  std::uint64_t skipped_entries = 0;
  std::uint64_t clamped_counts = 0;  // completed counts over what a swarm keeps (2^32 - 1)
  // Peers at an address and port that a later peer id of the same torrent has too: a swarm's
  // peer is its address and port, so the later one is kept, as a load would.
  std::uint64_t duplicate_peers = 0;
  std::vector<std::string> ignored_keys;
};

// Peers get last_seen = `now`; a peer with left == 0 is a seeder.
Result<ImportedDfile> ParseBttrackDfile(std::string_view bytes, UnixSeconds now);
// Seeders get left 0, leechers left 1 (the format keeps bytes left; only zero or not matters).
// A peer id seen twice in one torrent keeps its most recent entry; peers whose id is not known
// (all zeros) get stand-ins that ParseBttrackDfile reads back as not known.
std::string WriteBttrackDfile(const std::vector<TorrentRecord>& torrents);

}  // namespace shardtrack

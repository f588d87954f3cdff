// TorrentRecord: one torrent's durable state, as the swarm store hands it to persistence and
// takes it back at start. The neutral form between SwarmStore (memory layout of its choice) and
// the snapshot/journal files (byte layout of theirs), so either can change alone. Pure values.
#pragma once

#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/ip_address.h"

namespace shardtrack {

struct PeerRecord {
  PeerId peer_id;
  IpAddress ip;
  std::uint16_t port = 0;
  bool seeder = false;        // left == 0 at its last announce
  bool completed = false;     // its completion was already counted (counted once per peer)
  bool partial_seed = false;  // BEP 21: a leecher that wants nothing more (never a seeder)
  UnixSeconds last_seen = 0;  // wall time of its last announce

  bool operator==(const PeerRecord&) const = default;
};

struct TorrentRecord {
  InfoHash info_hash;
  std::uint64_t completed = 0;  // downloads counted (scrape `downloaded`)
  std::vector<PeerRecord> peers;

  bool operator==(const TorrentRecord&) const = default;
};

}  // namespace shardtrack

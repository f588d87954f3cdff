// PeerAnnounce: a validated announce as the swarm store applies it, and its parser from the wire
// message. Validation failures carry the message the client will see. Pure.
#pragma once

#include <cstdint>

#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "common/result.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

struct PeerAnnounce {
  InfoHash info_hash;
  PeerId peer_id;
  IpAddress ip;               // an IPv4-mapped IPv6 address arrives here as IPv4
  std::uint16_t port = 0;     // 1..65535
  bool seeder = false;        // left == 0
  bool partial_seed = false;  // BEP 21: event paused from a peer that is not a seeder
  proto::Event event = proto::EVENT_NONE;
  std::uint32_t numwant = 0;
  bool want_peer_ids = false;
  bool own_family_only = false;  // proto::AnnounceRequest's
};

// Checks lengths (info_hash and peer_id 20 bytes, ip 4 or 16) and the port (1..65535).
Result<PeerAnnounce> ParsePeerAnnounce(const proto::AnnounceRequest& request);

}  // namespace shardtrack

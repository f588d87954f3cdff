// Builders and decoders shared by the swarm store and shard service tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack::testing {

// An infohash whose bytes are all `seed`.
inline InfoHash HashOf(std::uint8_t seed) {
  InfoHash out;
  out.bytes.fill(seed);
  return out;
}

// A 20-byte peer id that spells its endpoint, so tests can match ids to peers.
inline std::string PeerIdFor(const std::string& ip, std::uint32_t port) {
  std::string id = ip + ":" + std::to_string(port);
  id.resize(20, '.');
  return id.substr(id.size() - 20);
}

struct AnnounceBuilder {
  proto::AnnounceRequest request;

  AnnounceBuilder(const InfoHash& hash, const std::string& ip, std::uint32_t port) {
    request.set_info_hash(hash.ToRaw());
    request.set_ip(IpAddress::Parse(ip)->raw());
    request.set_port(port);
    request.set_peer_id(PeerIdFor(ip, port));
    request.set_left(1000);
    request.set_numwant(50);
  }
  AnnounceBuilder& Seeder() {
    request.set_left(0);
    return *this;
  }
  AnnounceBuilder& Event(proto::Event event) {
    request.set_event(event);
    return *this;
  }
  AnnounceBuilder& Numwant(std::uint32_t numwant) {
    request.set_numwant(numwant);
    return *this;
  }
  AnnounceBuilder& WantPeerIds() {
    request.set_want_peer_ids(true);
    return *this;
  }
  AnnounceBuilder& PeerIdRaw(const std::string& id) {
    request.set_peer_id(id);
    return *this;
  }
  operator const proto::AnnounceRequest&() const { return request; }  // NOLINT
};

// "1.2.3.4:6881" / "[::1]:6881" for each compact entry of `wire` (6 or 18 bytes each).
inline std::vector<std::string> DecodePeers(const std::string& wire, std::size_t entry_size) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at + entry_size <= wire.size(); at += entry_size) {
    const std::size_t address_size = entry_size - 2;
    auto ip = IpAddress::FromRaw(std::string_view(wire).substr(at, address_size));
    const auto high = static_cast<std::uint8_t>(wire[at + address_size]);
    const auto low = static_cast<std::uint8_t>(wire[at + address_size + 1]);
    const std::string port = std::to_string(high * 256 + low);
    out.push_back(ip->is_v4() ? ip->ToString() + ":" + port : "[" + ip->ToString() + "]:" + port);
  }
  return out;
}

inline std::vector<std::string> Peers4(const proto::AnnounceReply& reply) {
  return DecodePeers(reply.peers4(), 6);
}
inline std::vector<std::string> Peers6(const proto::AnnounceReply& reply) {
  return DecodePeers(reply.peers6(), 18);
}

// The 20-byte ids of `ids`, split.
inline std::vector<std::string> SplitIds(const std::string& ids) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at + 20 <= ids.size(); at += 20) out.push_back(ids.substr(at, 20));
  return out;
}

}  // namespace shardtrack::testing

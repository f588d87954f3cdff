// Builders and decoders shared by the swarm store and shard service tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "proto/shardtrack.pb.h"
#include "shard/peer_announce.h"
#include "shard/swarm_store.h"

namespace shardtrack::testing {

// An infohash whose bytes are all `seed`.
inline InfoHash HashOf(std::uint8_t seed) {
  InfoHash out;
  out.bytes.fill(seed);
  return out;
}

// A 20-byte peer id that spells its endpoint, so tests can match ids to peers. Endpoints longer
// than 20 characters keep their last 20 (the port and the address's distinct tail).
inline std::string PeerIdFor(const std::string& ip, std::uint32_t port) {
  std::string id = ip + ":" + std::to_string(port);
  if (id.size() > 20) return id.substr(id.size() - 20);
  id.resize(20, '.');
  return id;
}

struct AnnounceBuilder {
  proto::AnnounceRequest request;

  AnnounceBuilder(const InfoHash& hash, const std::string& ip, std::uint32_t port) {
    request.set_info_hash(hash.ToRaw());
    request.set_ip(std::string(IpAddress::Parse(ip)->raw()));
    request.set_port(port);
    request.set_peer_id(PeerIdFor(ip, port));
    request.set_left(1000);
    request.set_numwant(50);
  }
  AnnounceBuilder& Seeder() {
    request.set_left(0);
    return *this;
  }
  AnnounceBuilder& Paused() {  // BEP 21's partial seed
    request.set_partial_seed(true);
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

// "1.2.3.4:6881" or "[::1]:6881": how DecodePeers spells an endpoint.
inline std::string EndpointText(const std::string& ip, std::uint32_t port) {
  const bool v4 = IpAddress::Parse(ip)->is_v4();
  const std::string address = IpAddress::Parse(ip)->ToString();
  return (v4 ? address : "[" + address + "]") + ":" + std::to_string(port);
}

// The 20-byte ids of `ids`, split.
inline std::vector<std::string> SplitIds(const std::string& ids) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at + 20 <= ids.size(); at += 20) out.push_back(ids.substr(at, 20));
  return out;
}

// Totals counted afresh from the exported records, to check the store's running totals.
struct Recount {
  std::uint64_t torrents = 0;
  std::uint64_t seeders = 0;
  std::uint64_t leechers = 0;
  std::uint64_t completed = 0;
  std::uint64_t partial_seeds = 0;
  bool operator==(const Recount&) const = default;
};

inline Recount RecountOf(const SwarmStore& store) {
  Recount out;
  store.ForEachTorrent([&](const TorrentRecord& record) {
    ++out.torrents;
    out.completed += record.completed;
    for (const PeerRecord& peer : record.peers) {
      ++(peer.seeder ? out.seeders : out.leechers);
      out.partial_seeds += peer.partial_seed;
    }
  });
  return out;
}

inline Recount TotalsOf(const SwarmStore& store) {
  return {store.torrents(), store.seeders(), store.leechers(), store.completed(),
          store.partial_seeds()};
}

// An announce off the wire as the shard service applies it: parsed, then announced; one that
// does not parse is refused with an empty reply.
inline AnnounceOutcome AnnounceFromWire(SwarmStore& store, const proto::AnnounceRequest& request,
                                        UnixSeconds now, FastRng& rng, proto::AnnounceReply& out) {
  auto announce = ParsePeerAnnounce(request);
  if (!announce.ok()) {
    out.Clear();
    return {};
  }
  return store.Announce(*announce, now, rng, out);
}

}  // namespace shardtrack::testing

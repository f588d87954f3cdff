#include "shard/persistence/bttrack_dfile.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include "common/bencode.h"

namespace shardtrack {
namespace {

using Dict = BencodeValue::Dict;

Result<const Dict*> DictAt(const BencodeValue& parent, std::string_view key) {
  static const Dict kEmpty;
  const BencodeValue* value = parent.Find(key);
  if (value == nullptr) return &kEmpty;
  if (!value->is_dict()) return Error{"'" + std::string(key) + "' is not a dict"};
  return &value->as_dict();
}

// The format keys a torrent's peers by id, and a swarm that keeps no ids (--store-peer-ids) has
// all-zero ones, "not known": the export gives each such peer a stand-in, zeros but for its
// ordinal in the last four bytes, which the import reads back as "not known". No client's id
// begins with sixteen zero bytes.
constexpr std::size_t kStandInZeros = 16;

PeerId StandInId(std::uint32_t ordinal) {
  PeerId id;
  for (std::size_t i = 0; i < 4; ++i) {
    id.bytes[kStandInZeros + i] = static_cast<std::uint8_t>(ordinal >> (24 - 8 * i));
  }
  return id;
}

PeerId KnownOrZero(const PeerId& id) {
  const bool stand_in = std::all_of(id.bytes.begin(), id.bytes.begin() + kStandInZeros,
                                    [](std::uint8_t byte) { return byte == 0; });
  return stand_in ? PeerId() : id;
}

std::optional<PeerRecord> ParsePeer(std::string_view peer_id, const BencodeValue& info,
                                    UnixSeconds now) {
  const BencodeValue* ip = info.Find("ip");
  const BencodeValue* port = info.Find("port");
  const BencodeValue* left = info.Find("left");
  auto id = PeerId::FromRaw(peer_id);
  if (!id || ip == nullptr || !ip->is_string() || port == nullptr || !port->is_int()) {
    return std::nullopt;
  }
  auto address = IpAddress::Parse(ip->as_string());
  if (!address || port->as_int() < 1 || port->as_int() > 65535) return std::nullopt;
  PeerRecord peer;
  peer.peer_id = KnownOrZero(*id);
  peer.ip = *address;
  peer.port = static_cast<std::uint16_t>(port->as_int());
  peer.seeder = left != nullptr && left->is_int() && left->as_int() == 0;
  peer.last_seen = now;
  return peer;
}

// The oldest form is the peers dict alone: every key an infohash (bttrack.py reads a dfile
// without 'peers' so).
bool OldestForm(const BencodeValue& root) {
  return root.Find("peers") == nullptr && root.Find("completed") == nullptr &&
         !root.as_dict().empty() &&
         std::all_of(root.as_dict().begin(), root.as_dict().end(),
                     [](const auto& entry) { return InfoHash::FromRaw(entry.first).has_value(); });
}

}  // namespace

Result<ImportedDfile> ParseBttrackDfile(std::string_view bytes, UnixSeconds now) {
  auto root = ParseBencode(bytes);
  if (!root) return Error{"not bencoded: " + root.error()};
  if (!root->is_dict()) return Error{"the dfile is not a bencoded dict"};
  const bool oldest = OldestForm(*root);
  auto peers = oldest ? Result<const Dict*>(&root->as_dict()) : DictAt(*root, "peers");
  auto completed = DictAt(*root, "completed");
  if (!peers) return Error{peers.error()};
  if (!completed) return Error{completed.error()};
  ImportedDfile out;
  for (const auto& [key, value] : root->as_dict()) {
    if (!oldest && key != "peers" && key != "completed") out.ignored_keys.push_back(key);
  }
  std::map<InfoHash, TorrentRecord> torrents;
  for (const auto& [raw, swarm] : **peers) {
    auto hash = InfoHash::FromRaw(raw);
    if (!hash || !swarm.is_dict()) {
      ++out.skipped_entries;
      continue;
    }
    TorrentRecord& torrent = torrents[*hash];
    torrent.info_hash = *hash;
    std::map<std::pair<std::string, std::uint16_t>, std::size_t> at;  // endpoint: index
    for (const auto& [peer_id, info] : swarm.as_dict()) {
      auto peer = info.is_dict() ? ParsePeer(peer_id, info, now) : std::nullopt;
      if (!peer) {
        ++out.skipped_peers;
        continue;
      }
      auto [it, added] =
          at.try_emplace({std::string(peer->ip.raw()), peer->port}, torrent.peers.size());
      if (added) {
        torrent.peers.push_back(*peer);
      } else {
        ++out.duplicate_peers;
        torrent.peers[it->second] = *peer;
      }
    }
  }
  for (const auto& [raw, count] : **completed) {
    auto hash = InfoHash::FromRaw(raw);
    if (!hash || !count.is_int() || count.as_int() < 0) {
      ++out.skipped_entries;
      continue;
    }
    constexpr std::int64_t kMost = std::numeric_limits<std::uint32_t>::max();
    out.clamped_counts += count.as_int() > kMost;
    torrents[*hash].info_hash = *hash;
    torrents[*hash].completed = static_cast<std::uint64_t>(std::min(count.as_int(), kMost));
  }
  for (auto& [hash, torrent] : torrents) out.torrents.push_back(std::move(torrent));
  return out;
}

std::string WriteBttrackDfile(const std::vector<TorrentRecord>& torrents) {
  std::string out;
  BencodeWriter writer(out);
  writer.BeginDict().Key("completed").BeginDict();
  for (const TorrentRecord& torrent : torrents) {
    writer.String(torrent.info_hash.view()).Int(static_cast<std::int64_t>(torrent.completed));
  }
  writer.End().Key("peers").BeginDict();
  for (const TorrentRecord& torrent : torrents) {
    std::map<PeerId, const PeerRecord*> by_id;
    for (const PeerRecord& peer : torrent.peers) {
      if (peer.peer_id == PeerId()) continue;
      auto [it, inserted] = by_id.try_emplace(peer.peer_id, &peer);
      if (!inserted && peer.last_seen >= it->second->last_seen) it->second = &peer;
    }
    std::uint32_t ordinal = 0;  // stand-ins skip the ids clients chose, even one like them
    for (const PeerRecord& peer : torrent.peers) {
      if (peer.peer_id != PeerId()) continue;
      while (!by_id.try_emplace(StandInId(++ordinal), &peer).second) {
      }
    }
    writer.String(torrent.info_hash.view()).BeginDict();
    for (const auto& [id, peer] : by_id) {
      writer.String(id.view()).BeginDict();
      writer.Key("ip").String(peer->ip.ToString());
      writer.Key("left").Int(peer->seeder ? 0 : 1);
      // Reachable: the original tracker and BitTornado hand out only peers whose NAT check
      // passed, and take one without the key for one not checked yet.
      writer.Key("nat").Int(0);
      writer.Key("port").Int(peer->port);
      writer.End();
    }
    writer.End();
  }
  writer.End().End();
  return out;
}

}  // namespace shardtrack

#include "frontend/tracker_replies.h"

#include <algorithm>

#include "common/bencode.h"

namespace shardtrack {
namespace {

constexpr std::size_t kPeerIdSize = 20;

// A shard that started keeping a swarm's ids when a client asked for them has all-zero ids for
// the peers that have not announced since: the id is not known, so the dict goes without one.
bool KnownPeerId(std::string_view id) {
  return id.find_first_not_of('\0') != std::string_view::npos;
}

// Non-compact entries for one family: `entry_size` is 6 (IPv4) or 18 (IPv6) bytes.
void WritePeerDicts(std::string_view peers, std::string_view peer_ids, std::size_t entry_size,
                    bool want_peer_ids, BencodeWriter& writer) {
  std::size_t address_size = entry_size - 2;
  for (std::size_t i = 0; (i + 1) * entry_size <= peers.size(); ++i) {
    std::string_view entry = peers.substr(i * entry_size, entry_size);
    auto address = IpAddress::FromRaw(entry.substr(0, address_size));
    auto port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(entry[address_size]) << 8 |
                                           static_cast<std::uint8_t>(entry[address_size + 1]));
    writer.BeginDict().Key("ip").String(address->ToString());
    if (want_peer_ids && (i + 1) * kPeerIdSize <= peer_ids.size()) {
      const std::string_view peer_id = peer_ids.substr(i * kPeerIdSize, kPeerIdSize);
      if (KnownPeerId(peer_id)) writer.Key("peer id").String(peer_id);
    }
    writer.Key("port").Int(port).End();
  }
}

}  // namespace

void WriteAnnounceReply(const proto::AnnounceReply& reply, const AnnounceReplyOptions& options,
                        std::string& out) {
  BencodeWriter writer(out);
  writer.BeginDict();
  writer.Key("complete").Int(reply.complete());
  writer.Key("downloaded").Int(reply.downloaded());
  if (options.external_ip) writer.Key("external ip").String(options.external_ip->raw());
  writer.Key("incomplete").Int(reply.incomplete());
  writer.Key("interval").Int(options.interval);
  writer.Key("min interval").Int(options.min_interval);
  if (options.compact) {
    writer.Key("peers").String(reply.peers4());
    if (!reply.peers6().empty()) writer.Key("peers6").String(reply.peers6());
  } else {
    writer.Key("peers").BeginList();
    WritePeerDicts(reply.peers4(), reply.peer_ids4(), 6, options.want_peer_ids, writer);
    WritePeerDicts(reply.peers6(), reply.peer_ids6(), 18, options.want_peer_ids, writer);
    writer.End();
  }
  writer.End();
}

void WriteScrapeReply(std::vector<const proto::ScrapeEntry*>& entries, std::string& out) {
  std::sort(entries.begin(), entries.end(),
            [](const auto* a, const auto* b) { return a->info_hash() < b->info_hash(); });
  BencodeWriter writer(out);
  writer.BeginDict().Key("files").BeginDict();
  const std::string* previous = nullptr;
  for (const proto::ScrapeEntry* entry : entries) {
    if (previous && *previous == entry->info_hash()) continue;
    previous = &entry->info_hash();
    writer.Key(entry->info_hash()).BeginDict();
    writer.Key("complete").Int(entry->complete());
    writer.Key("downloaded").Int(entry->downloaded());
    if (entry->has_downloaders()) writer.Key("downloaders").Int(entry->downloaders());
    writer.Key("incomplete").Int(entry->incomplete());
    if (!entry->name().empty()) writer.Key("name").String(entry->name());
    writer.End();
  }
  writer.End().End();
}

void WriteFailure(std::string_view reason, std::string& out) {
  BencodeWriter(out).BeginDict().Key("failure reason").String(reason).End();
}

void WriteFailure(std::string_view reason, std::uint32_t retry_in_minutes, std::string& out) {
  BencodeWriter(out)
      .BeginDict()
      .Key("failure reason")
      .String(reason)
      .Key("retry in")
      .Int(retry_in_minutes)
      .End();
}

}  // namespace shardtrack

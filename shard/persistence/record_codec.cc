#include "shard/persistence/record_codec.h"

#include "shard/persistence/byte_codec.h"
#include "shard/persistence/record_framing.h"

namespace shardtrack {
namespace {

constexpr std::uint8_t kSeederFlag = 1;
constexpr std::uint8_t kCompletedFlag = 2;
// Unknown to builds before it, which read such a peer as a plain leecher.
constexpr std::uint8_t kPartialSeedFlag = 4;
// A kPeerUpsert's completed flag is the peer's whole mark (JournalEntry::replaces_completed).
// Builds before it add the flag to the mark held, as they did.
constexpr std::uint8_t kWholeCompletedFlag = 8;
// The fewest bytes PutPeer writes (an IPv4 peer): peer id, address length and address, port,
// flags, last seen.
constexpr std::size_t kMinPeerBytes = PeerId::kSize + 1 + 4 + 2 + 1 + 8;

void PutPeer(ByteWriter& out, const PeerRecord& peer, std::uint8_t more_flags = 0) {
  std::string_view ip = peer.ip.raw();
  const std::uint8_t flags = (peer.seeder ? kSeederFlag : 0) |
                             (peer.completed ? kCompletedFlag : 0) |
                             (peer.partial_seed ? kPartialSeedFlag : 0) | more_flags;
  out.Bytes(peer.peer_id.view()).U8(static_cast<std::uint8_t>(ip.size())).Bytes(ip);
  out.U16(peer.port).U8(flags).I64(peer.last_seen);
}

// `flags`: the peer's flags byte as read, for flags that are not the peer's own.
std::optional<PeerRecord> GetPeer(ByteReader& in, std::uint8_t& flags) {
  PeerRecord peer;
  auto peer_id = PeerId::FromRaw(in.Bytes(PeerId::kSize));
  auto ip = IpAddress::FromRaw(in.Bytes(in.U8()));
  peer.port = in.U16();
  flags = in.U8();
  peer.last_seen = in.I64();
  if (!in.ok() || !peer_id || !ip) return std::nullopt;
  peer.peer_id = *peer_id;
  peer.ip = *ip;
  peer.seeder = flags & kSeederFlag;
  peer.completed = flags & kCompletedFlag;
  peer.partial_seed = flags & kPartialSeedFlag;
  return peer;
}

}  // namespace

std::string EncodeTorrent(const TorrentRecord& torrent, std::span<const PeerRecord> peers) {
  std::string out;
  ByteWriter writer(out);
  writer.Bytes(torrent.info_hash.view()).U64(torrent.completed);
  writer.U32(static_cast<std::uint32_t>(peers.size()));
  for (const PeerRecord& peer : peers) PutPeer(writer, peer);
  return out;
}

std::optional<TorrentRecord> DecodeTorrent(std::string_view fields) {
  ByteReader in(fields);
  TorrentRecord torrent;
  auto info_hash = InfoHash::FromRaw(in.Bytes(InfoHash::kSize));
  torrent.completed = in.U64();
  std::uint32_t peers = in.U32();
  // Bounded by what the record can hold before reserving: a damaged count must not ask for
  // gigabytes (a crafted file with a good checksum would end the load in bad_alloc).
  if (!in.ok() || !info_hash || peers > in.remaining() / kMinPeerBytes) return std::nullopt;
  torrent.info_hash = *info_hash;
  torrent.peers.reserve(peers);
  for (std::uint32_t i = 0; i < peers; ++i) {
    std::uint8_t flags = 0;
    auto peer = GetPeer(in, flags);
    if (!peer) return std::nullopt;
    torrent.peers.push_back(*peer);
  }
  if (!in.AtEnd()) return std::nullopt;
  return torrent;
}

std::string EncodeFileHeader(const FileHeader& header) {
  std::string out;
  ByteWriter(out).U32(header.index).U32(header.count).U64(header.generation).I64(header.written_at);
  return out;
}

std::optional<FileHeader> DecodeFileHeader(std::string_view fields) {
  ByteReader in(fields);
  FileHeader header{in.U32(), in.U32(), in.U64(), in.I64()};
  if (!in.ok() || !in.AtEnd() || header.count == 0 || header.index >= header.count) {
    return std::nullopt;
  }
  return header;
}

std::string EncodeTrailer(const SnapshotTrailer& trailer) {
  std::string out;
  ByteWriter(out).U64(trailer.torrents).U64(trailer.peers);
  return out;
}

std::optional<SnapshotTrailer> DecodeTrailer(std::string_view fields) {
  ByteReader in(fields);
  SnapshotTrailer trailer{in.U64(), in.U64()};
  if (!in.ok() || !in.AtEnd()) return std::nullopt;
  return trailer;
}

namespace {

RecordType RecordTypeOf(JournalOp op) {
  switch (op) {
    case JournalOp::kPeerUpsert:
      return RecordType::kPeerUpsert;
    case JournalOp::kPeerRemove:
      return RecordType::kPeerRemove;
    case JournalOp::kForget:
      return RecordType::kForget;
    case JournalOp::kCompleted:
      break;
  }
  return RecordType::kCompleted;
}

}  // namespace

void AppendJournalEntry(std::string& out, const JournalEntry& entry) {
  const std::size_t frame = BeginFrame(out, RecordTypeOf(entry.op));
  ByteWriter writer(out);
  writer.Bytes(entry.info_hash.view());
  switch (entry.op) {
    case JournalOp::kCompleted:
      writer.U64(entry.completed);
      break;
    case JournalOp::kPeerUpsert:
      PutPeer(writer, entry.peer, entry.replaces_completed ? kWholeCompletedFlag : 0);
      break;
    case JournalOp::kPeerRemove:
      writer.U8(static_cast<std::uint8_t>(entry.peer.ip.raw().size())).Bytes(entry.peer.ip.raw());
      writer.U16(entry.peer.port);
      break;
    case JournalOp::kForget:
      break;
  }
  FinishFrame(out, frame);
}

std::optional<JournalEntry> DecodeJournalEntry(RecordType type, std::string_view fields) {
  ByteReader in(fields);
  JournalEntry entry;
  auto info_hash = InfoHash::FromRaw(in.Bytes(InfoHash::kSize));
  if (!info_hash) return std::nullopt;
  entry.info_hash = *info_hash;
  if (type == RecordType::kCompleted) {
    entry.op = JournalOp::kCompleted;
    entry.completed = in.U64();
  } else if (type == RecordType::kPeerUpsert) {
    entry.op = JournalOp::kPeerUpsert;
    std::uint8_t flags = 0;
    auto peer = GetPeer(in, flags);
    if (!peer) return std::nullopt;
    entry.peer = *peer;
    entry.replaces_completed = flags & kWholeCompletedFlag;
  } else if (type == RecordType::kPeerRemove) {
    entry.op = JournalOp::kPeerRemove;
    auto ip = IpAddress::FromRaw(in.Bytes(in.U8()));
    entry.peer.port = in.U16();
    if (!ip) return std::nullopt;
    entry.peer.ip = *ip;
  } else if (type == RecordType::kForget) {
    entry.op = JournalOp::kForget;
  } else {
    return std::nullopt;
  }
  if (!in.ok() || !in.AtEnd()) return std::nullopt;
  return entry;
}

bool DecodeJournalTurn(std::string_view fields, std::vector<JournalEntry>& entries) {
  entries.clear();
  FrameCursor cursor(fields, 0);
  FrameCursor::Frame frame;
  FrameCursor::Step step;
  while ((step = cursor.Next(frame)) == FrameCursor::Step::kFrame) {
    auto entry = DecodeJournalEntry(frame.type, frame.fields);
    if (!entry) return false;
    entries.push_back(*entry);
  }
  return step == FrameCursor::Step::kEnd && !entries.empty();
}

std::string EncodeSyncedMarker(std::uint64_t synced_through) {
  std::string fields;
  ByteWriter(fields).U64(synced_through);
  std::string out;
  AppendFrame(out, RecordType::kJournalSynced, fields);
  return out;
}

std::optional<std::uint64_t> DecodeSyncedMarker(std::string_view fields) {
  ByteReader in(fields);
  const std::uint64_t synced_through = in.U64();
  if (!in.ok() || !in.AtEnd()) return std::nullopt;
  return synced_through;
}

}  // namespace shardtrack

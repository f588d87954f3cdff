// Field layouts of every record body in the snapshot and journal files (see record_framing.h for
// the frame around them). All integers little-endian. Pure.
//
//   PeerRecord      peer_id[20] ip_len:u8 (4|16) ip[ip_len] port:u16 flags:u8 last_seen:i64
//                   flags bit 0 = seeder, bit 1 = completed, bit 2 = partial seed (BEP 21),
//                   bit 3 (kPeerUpsert only) = completed is the peer's whole mark
//   kTorrent        info_hash[20] completed:u64 peer_count:u32 PeerRecord*
//                   (a torrent of more than kPeersPerTorrentRecord peers takes several
//                   adjacent records with the same info_hash and completed: a frame is bounded)
//   kSnapshotHeader index:u32 count:u32 generation:u64 written_at:i64
//   kSnapshotTrailer torrents:u64 peers:u64
//   kJournalHeader  index:u32 count:u32 base_generation:u64 created_at:i64
//   kCompleted      info_hash[20] completed:u64          (absolute count: replay is idempotent)
//   kPeerUpsert     info_hash[20] PeerRecord
//   kPeerRemove     info_hash[20] ip_len:u8 ip[ip_len] port:u16  (a peer is its endpoint)
//   kForget         info_hash[20]   (the torrent is gone, count and peers: --torrent-retention)
//   kJournalSynced  synced_through:u64   (every journal byte before this offset was fdatasynced)
//   kJournalTurn    frame*   (the kCompleted/kPeerUpsert/kPeerRemove/kForget frames of one turn,
//                   whose replies wait for them: a torn turn is ignored whole, never in part)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shard/persistence/record_framing.h"
#include "shard/torrent_record.h"

namespace shardtrack {

// Which file set a file belongs to and how new it is (see state_loader.h for generations).
struct FileHeader {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  std::uint64_t generation = 0;  // snapshot: its generation; journal: the snapshot it follows
  UnixSeconds written_at = 0;
};

struct SnapshotTrailer {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
};

// The largest PeerRecord: an IPv6 peer's.
inline constexpr std::size_t kMaxPeerRecordSize = PeerId::kSize + 1 + 16 + 2 + 1 + 8;

// The largest journal record body: a kPeerUpsert of an IPv6 peer (type byte included).
inline constexpr std::size_t kMaxJournalRecordBody = 1 + InfoHash::kSize + kMaxPeerRecordSize;

// The most peers one kTorrent record carries: about 3 MB, far below kMaxFrameBody, so that a
// swarm of any size is written (and read back) in frames a reader accepts and holds one at a time.
inline constexpr std::size_t kPeersPerTorrentRecord = 1 << 16;
static_assert(1 + InfoHash::kSize + 8 + 4 + kPeersPerTorrentRecord * kMaxPeerRecordSize <
              kMaxFrameBody);

enum class JournalOp : std::uint8_t { kCompleted, kPeerUpsert, kPeerRemove, kForget };
inline constexpr std::size_t kJournalOps = 4;  // JournalOp's values, for tables indexed by one

struct JournalEntry {
  JournalOp op = JournalOp::kCompleted;
  InfoHash info_hash;
  std::uint64_t completed = 0;  // kCompleted
  PeerRecord peer;              // kPeerUpsert; kPeerRemove uses peer.ip and peer.port only
  // kPeerUpsert: peer.completed is the peer's mark after its announce, which replaces the one
  // held. Journals written before 2026-12-07 evening carry only whether that announce counted a
  // completion, which replay adds to the mark held (wrongly, for a peer that expired between).
  bool replaces_completed = false;
};

// One kTorrent record with `peers` (all of the torrent's, or one part of them).
std::string EncodeTorrent(const TorrentRecord& torrent, std::span<const PeerRecord> peers);
std::optional<TorrentRecord> DecodeTorrent(std::string_view fields);

std::string EncodeFileHeader(const FileHeader& header);
std::optional<FileHeader> DecodeFileHeader(std::string_view fields);

std::string EncodeTrailer(const SnapshotTrailer& trailer);
std::optional<SnapshotTrailer> DecodeTrailer(std::string_view fields);

// Appends a whole frame (record_framing.h) holding the entry.
void AppendJournalEntry(std::string& out, const JournalEntry& entry);
std::optional<JournalEntry> DecodeJournalEntry(RecordType type, std::string_view fields);

// A kJournalTurn's fields (whole journal record frames, one after another) into `entries`
// (cleared first). False unless every record is intact and decodes: the turn is damaged.
bool DecodeJournalTurn(std::string_view fields, std::vector<JournalEntry>& entries);

// A whole kJournalSynced frame, and its field.
std::string EncodeSyncedMarker(std::uint64_t synced_through);
std::optional<std::uint64_t> DecodeSyncedMarker(std::string_view fields);

}  // namespace shardtrack

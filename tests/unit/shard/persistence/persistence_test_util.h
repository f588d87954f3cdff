// Helpers for persistence tests: a scratch directory removed at the end, and small records.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "proto/shardtrack.pb.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/journal_file.h"
#include "shard/persistence/snapshot_file.h"
#include "shard/torrent_record.h"
#include "tests/unit/common/scratch_dir.h"

namespace shardtrack::testing {

// An announce of peer 10.0.0.<octet>:6881 (its peer id ends in the octet) to the torrent whose
// infohash is 20 times `torrent`.
inline proto::Request AnnounceRequest(char torrent, std::uint8_t octet, proto::Event event,
                                      std::uint64_t left, std::uint64_t id = 0) {
  proto::Request request;
  request.set_id(id);
  proto::AnnounceRequest* announce = request.mutable_announce();
  announce->set_info_hash(std::string(20, torrent));
  announce->set_peer_id(std::string(19, 'p') + static_cast<char>(octet));
  announce->set_ip(std::string{10, 0, 0, static_cast<char>(octet)});
  announce->set_port(6881);
  announce->set_left(left);
  announce->set_event(event);
  return request;
}

inline InfoHash Hash(char fill, char first = 0) {
  std::string raw(20, fill);
  raw[0] = first;
  return *InfoHash::FromRaw(raw);
}

inline PeerRecord Peer(std::uint8_t last_octet, std::uint16_t port, UnixSeconds last_seen,
                       bool seeder = false) {
  PeerRecord peer;
  peer.peer_id = *PeerId::FromRaw(std::string(19, 'p') + static_cast<char>(last_octet));
  peer.ip = *IpAddress::Parse("10.0.0." + std::to_string(last_octet));
  peer.port = port;
  peer.seeder = seeder;
  peer.last_seen = last_seen;
  return peer;
}

// `count` peers at distinct endpoints (10.0.0.1-255, ports 1-60000).
inline std::vector<PeerRecord> ManyPeers(std::size_t count) {
  std::vector<PeerRecord> peers;
  peers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    peers.push_back(Peer(static_cast<std::uint8_t>(1 + i / 60000),
                         static_cast<std::uint16_t>(1 + i % 60000), 100));
  }
  return peers;
}

inline TorrentRecord Torrent(const InfoHash& hash, std::uint64_t completed,
                             std::vector<PeerRecord> peers = {}) {
  return TorrentRecord{hash, completed, std::move(peers)};
}

// Writes `torrents` as the snapshot `header` names, after the set's first journal, as a shard
// does (the loader takes a snapshot without a journal beside it for a removed journal).
inline void WriteShardSnapshot(FileOps& ops, const std::string& dir, const FileHeader& header,
                               const std::vector<TorrentRecord>& torrents) {
  Status started = StartFirstJournal(ops, dir, header.index, header.count, 0);
  ASSERT_TRUE(started.ok()) << started.error();
  auto written = WriteSnapshot(ops, dir, header, [&](const TorrentVisitor& visit) {
    for (const TorrentRecord& torrent : torrents) visit(torrent);
  });
  ASSERT_TRUE(written.ok()) << written.error();
}

inline std::string ReadAll(const std::string& path) {
  PosixFileOps ops;
  auto bytes = ops.ReadFile(path, UINT64_MAX);
  return bytes ? *bytes : std::string("<unreadable>");
}

inline void WriteAll(const std::string& path, const std::string& bytes) {
  PosixFileOps ops;
  auto file = ops.OpenWritable(path, FileOps::OpenMode::kTruncate);
  ASSERT_TRUE(file.ok()) << file.error();
  ASSERT_TRUE((*file)->Append(bytes).ok());
}

}  // namespace shardtrack::testing

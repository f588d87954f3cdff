// The torrent record: what EncodeTorrent writes DecodeTorrent reads back, IPv4 and IPv6 peers
// alike, and a peer count the record's bytes cannot hold is refused while one they hold is not.
// A journal upsert says whether its completed flag is the peer's whole mark.
#include "shard/persistence/record_codec.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Hash;
using testing::Peer;

TEST(RecordCodecTest, ATorrentRecordRoundTripsWithIpv4AndIpv6Peers) {
  std::vector<PeerRecord> peers = {Peer(1, 6881, 100, true), Peer(2, 6882, 200)};
  PeerRecord v6 = Peer(3, 51413, 300);
  v6.ip = *IpAddress::Parse("2001:db8::3");
  v6.completed = true;
  v6.partial_seed = true;
  peers.push_back(v6);
  const TorrentRecord torrent{Hash('t'), 42, peers};
  const auto decoded = DecodeTorrent(EncodeTorrent(torrent, peers));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, torrent);
}

TEST(RecordCodecTest, APeerCountTheBytesCannotHoldIsRefused) {
  const std::vector<PeerRecord> peers = {Peer(1, 6881, 100), Peer(2, 6882, 200)};
  std::string bytes = EncodeTorrent({Hash('t'), 1, peers}, peers);
  constexpr std::size_t kCountAt = 28;  // after the infohash and the completed count
  ASSERT_EQ(bytes[kCountAt], 2);        // little-endian u32
  bytes[kCountAt] = 3;
  EXPECT_FALSE(DecodeTorrent(bytes));
  bytes[kCountAt] = 2;
  EXPECT_TRUE(DecodeTorrent(bytes));
}

// The one frame AppendJournalEntry writes for `entry`, decoded.
std::optional<JournalEntry> RoundTrip(const JournalEntry& entry) {
  std::string bytes;
  AppendJournalEntry(bytes, entry);
  FrameCursor cursor(bytes, 0);
  FrameCursor::Frame frame{};
  if (cursor.Next(frame) != FrameCursor::Step::kFrame) return std::nullopt;
  return DecodeJournalEntry(frame.type, frame.fields);
}

TEST(RecordCodecTest, AnUpsertSaysWhetherItsCompletedFlagIsThePeersWholeMark) {
  JournalEntry entry;
  entry.op = JournalOp::kPeerUpsert;
  entry.info_hash = Hash('t');
  entry.peer = Peer(1, 6881, 100, true);
  for (const bool completed : {false, true}) {
    for (const bool whole : {false, true}) {
      entry.peer.completed = completed;
      entry.replaces_completed = whole;
      const auto decoded = RoundTrip(entry);
      ASSERT_TRUE(decoded);
      EXPECT_EQ(decoded->peer, entry.peer);
      EXPECT_EQ(decoded->replaces_completed, whole) << completed;
    }
  }
}

}  // namespace
}  // namespace shardtrack

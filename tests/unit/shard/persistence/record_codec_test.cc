// The torrent record: what EncodeTorrent writes DecodeTorrent reads back, IPv4 and IPv6 peers
// alike, and a peer count the record's bytes cannot hold is refused while one they hold is not.
#include "shard/persistence/record_codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shardtrack

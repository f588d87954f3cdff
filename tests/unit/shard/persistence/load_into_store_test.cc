#include "shard/persistence/load_into_store.h"

#include <gtest/gtest.h>

#include "shard/persistence/snapshot_file.h"
#include "shard/seen_time.h"
#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Hash;
using testing::Peer;
using testing::ScratchDir;
using testing::Torrent;

constexpr UnixSeconds kNow = 10'000;

class LoadIntoStoreTest : public ::testing::Test {
 protected:
  void Snapshot(std::uint64_t generation, const std::vector<TorrentRecord>& torrents) {
    testing::WriteShardSnapshot(ops_, dir_.path(), {0, 1, generation, 0}, torrents);
  }
  Result<StoreLoad> Load() {
    return LoadIntoStore(ops_, {dir_.path(), 0, 1, OnCorrupt::kRefuse, kNow}, 100, store_);
  }

  ScratchDir dir_;
  PosixFileOps ops_;
  SwarmStore store_;
};

TEST_F(LoadIntoStoreTest, FillsTheStoreWithEveryTorrentAndDropsPeersAlreadyExpired) {
  std::vector<TorrentRecord> torrents;
  for (int n = 0; n < 200; ++n) {
    torrents.push_back(Torrent(Hash('a', static_cast<char>(n)), 1, {Peer(1, 10, kNow - 5)}));
  }
  torrents.push_back(Torrent(Hash('b'), 2, {Peer(1, 10, kNow - 5, true), Peer(2, 20, kNow - 100)}));
  Snapshot(7, torrents);
  auto loaded = Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(loaded->max_generation, 7u);
  EXPECT_EQ(store_.torrents(), 201u);
  EXPECT_EQ(store_.peers(), 201u);
  const SwarmCounts b = store_.ScrapeOne(Hash('b'));
  EXPECT_EQ(b.seeders, 1u);
  EXPECT_EQ(b.leechers, 0u);
  EXPECT_EQ(b.completed, 2u);
  EXPECT_NE(loaded->summary.find("recovered 201 torrents and 202 peers"), std::string::npos)
      << loaded->summary;
  EXPECT_NE(loaded->summary.find("dropped 1 peers expired or seen in the future"),
            std::string::npos)
      << loaded->summary;
}

// A clock that was ahead left peers in the future: past what a swarm keeps around its latest
// announce (shard/seen_time.h), they would make it drop the live ones.
TEST_F(LoadIntoStoreTest, PeersSeenTooFarInTheFutureAreDroppedAndTheLiveOnesKept) {
  constexpr UnixSeconds kTimeout = 100;  // Load()'s
  const UnixSeconds latest_kept = kNow + kSeenTimeKeep - kTimeout;
  Snapshot(1, {Torrent(Hash('a'), 0,
                       {Peer(1, 10, kNow - kTimeout + 1), Peer(2, 20, latest_kept),
                        Peer(3, 30, latest_kept + 1)})});
  auto loaded = Load();
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(store_.peers(), 2u);
  std::vector<UnixSeconds> seen;
  store_.ForEachTorrent([&](const TorrentRecord& torrent) {
    for (const PeerRecord& peer : torrent.peers) seen.push_back(peer.last_seen);
  });
  EXPECT_EQ(seen, (std::vector<UnixSeconds>{kNow - kTimeout + 1, latest_kept}));
}

TEST_F(LoadIntoStoreTest, ALargeLoadedStoreListsItsBiggestSwarmsBeforeAnyExpiryLap) {
  std::vector<TorrentRecord> torrents;
  for (std::uint32_t n = 0; n <= SwarmStore::kTopScanLimit; ++n) {
    InfoHash hash = Hash('a');
    for (int byte = 0; byte < 4; ++byte)
      hash.bytes[byte] = static_cast<std::uint8_t>(n >> (8 * byte));
    torrents.push_back(Torrent(hash, 0, {Peer(1, 10, kNow)}));
  }
  torrents.push_back(Torrent(Hash('b'), 0, {Peer(1, 10, kNow), Peer(2, 20, kNow)}));
  Snapshot(1, torrents);
  ASSERT_TRUE(Load().ok());
  const proto::StatsReply stats = store_.Stats(1);
  ASSERT_EQ(stats.top_size(), 1);
  EXPECT_EQ(stats.top(0).info_hash(), Hash('b').ToRaw());
}

TEST_F(LoadIntoStoreTest, ACorruptSnapshotFailsTheLoadAndLeavesTheStoreEmpty) {
  Snapshot(1, {Torrent(Hash('a'), 1, {Peer(1, 10, kNow)})});
  testing::WriteAll(dir_.File("shard-0-of-1.snapshot"), "STSNAP garbage");
  auto loaded = Load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().find("shard-0-of-1.snapshot is corrupt"), std::string::npos)
      << loaded.error();
  EXPECT_EQ(store_.torrents(), 0u);
}

}  // namespace
}  // namespace shardtrack

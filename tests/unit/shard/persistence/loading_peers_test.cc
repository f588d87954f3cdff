#include "shard/persistence/loading_peers.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Peer;

const SipHashKey kKey = {1, 2};

// The peer at 10.0.<n / 256>.<n % 256>:<port>, seen at `seen`.
PeerRecord At(int n, std::uint16_t port, UnixSeconds seen) {
  PeerRecord peer = Peer(1, port, seen);
  peer.ip = *IpAddress::Parse("10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256));
  return peer;
}

std::string Endpoint(const PeerRecord& peer) {
  return std::string(peer.ip.raw()) + static_cast<char>(peer.port >> 8) +
         static_cast<char>(peer.port & 0xff);
}

TEST(LoadingPeersTest, AnUpsertReplacesThePeerAtItsEndpointMarkAndAll) {
  LoadingPeers peers;
  PeerRecord first = Peer(1, 10, 100);
  first.completed = true;
  peers.AddFromSnapshot({first, Peer(2, 20, 100)});
  // The peer expired and came back unmarked: its next completion must count again.
  const PeerRecord again = Peer(1, 10, 200, true);
  peers.Upsert(again, kKey, LoadingPeers::Mark::kReplace);
  peers.Upsert(Peer(3, 30, 300), kKey, LoadingPeers::Mark::kReplace);
  EXPECT_EQ(peers.Take(), (std::vector<PeerRecord>{again, Peer(2, 20, 100), Peer(3, 30, 300)}));
  EXPECT_TRUE(peers.empty());
}

TEST(LoadingPeersTest, AnOlderJournalsUpsertKeepsTheMarkHeld) {
  LoadingPeers peers;
  PeerRecord first = Peer(1, 10, 100);
  first.completed = true;
  peers.AddFromSnapshot({first});
  PeerRecord again = Peer(1, 10, 200, true);
  peers.Upsert(again, kKey, LoadingPeers::Mark::kAdd);
  again.completed = true;
  EXPECT_EQ(peers.Take(), (std::vector<PeerRecord>{again}));
}

TEST(LoadingPeersTest, ARemovalDropsOnlyThePeerAtThatAddressAndPort) {
  LoadingPeers peers;
  peers.AddFromSnapshot({Peer(1, 10, 100), Peer(1, 11, 100), Peer(2, 10, 100)});
  peers.Remove(Peer(1, 10, 0), kKey);
  peers.Remove(Peer(9, 10, 0), kKey);  // nobody there
  EXPECT_EQ(peers.Take(), (std::vector<PeerRecord>{Peer(1, 11, 100), Peer(2, 10, 100)}));
}

TEST(LoadingPeersTest, TakeSortsByEndpointAndKeepsTheLaterOfTwoSnapshotPeersAtOneEndpoint) {
  LoadingPeers peers;
  PeerRecord v6 = Peer(4, 1, 100);
  v6.ip = *IpAddress::Parse("2001:db8::1");
  peers.AddFromSnapshot({Peer(3, 300, 100), v6, Peer(1, 10, 100)});
  peers.AddFromSnapshot({Peer(1, 10, 500), Peer(2, 1, 100)});
  // Address bytes first (10.0.0.1 < 10.0.0.2 < 10.0.0.3 < 2001:db8::1), as the old maps sorted.
  EXPECT_EQ(peers.Take(),
            (std::vector<PeerRecord>{Peer(1, 10, 500), Peer(2, 1, 100), Peer(3, 300, 100), v6}));
}

TEST(LoadingPeersTest, AJournalRecordIndexesALargeSnapshotSwarmEvenWhenItAddsNobody) {
  std::vector<PeerRecord> snapshot;
  for (int n = 0; n <= static_cast<int>(LoadingPeers::kIndexFrom); ++n) {
    snapshot.push_back(At(n, 6881, 100));
  }
  LoadingPeers replaced;
  replaced.AddFromSnapshot(snapshot);
  EXPECT_FALSE(replaced.indexed());
  replaced.Upsert(At(3, 6881, 200), kKey,
                  LoadingPeers::Mark::kReplace);  // re-announces a peer the snapshot holds
  EXPECT_TRUE(replaced.indexed());

  LoadingPeers removed;
  removed.AddFromSnapshot(snapshot);
  removed.Remove(At(999, 6881, 0), kKey);  // nobody there
  EXPECT_TRUE(removed.indexed());

  LoadingPeers small;
  small.AddFromSnapshot({At(1, 6881, 100), At(2, 6881, 100)});
  small.Upsert(At(1, 6881, 200), kKey, LoadingPeers::Mark::kReplace);
  EXPECT_FALSE(small.indexed());  // scanned: a few peers
}

// Many upserts and removals over a swarm far past kIndexFrom give what a map by endpoint gives.
TEST(LoadingPeersTest, ALargeSwarmReplaysLikeAMapByEndpoint) {
  std::mt19937 rng(7);
  std::vector<PeerRecord> snapshot;
  std::map<std::string, PeerRecord> expected;
  for (int n = 0; n < 500; ++n) {
    snapshot.push_back(At(n, 6881, n));
    expected[Endpoint(snapshot.back())] = snapshot.back();
  }
  LoadingPeers peers;
  peers.AddFromSnapshot(snapshot);
  for (int step = 0; step < 20000; ++step) {
    const PeerRecord peer = At(static_cast<int>(rng() % 3000), 6881 + rng() % 2, step);
    if (rng() % 3 == 0) {
      peers.Remove(peer, kKey);
      expected.erase(Endpoint(peer));
    } else {
      peers.Upsert(peer, kKey, LoadingPeers::Mark::kReplace);
      expected[Endpoint(peer)] = peer;
    }
  }
  std::vector<PeerRecord> want;
  for (const auto& [endpoint, peer] : expected) want.push_back(peer);
  ASSERT_GT(want.size(), LoadingPeers::kIndexFrom * 10);
  EXPECT_EQ(peers.Take(), want);
}

}  // namespace
}  // namespace shardtrack

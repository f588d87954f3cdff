#include "shard/persistence/loading_set.h"

#include <gtest/gtest.h>

#include "tests/unit/shard/persistence/persistence_test_util.h"

namespace shardtrack {
namespace {

using testing::Peer;
using testing::Torrent;

const SipHashKey kKey = {3, 4};

// The `n`th infohash (counting from 0) that `count` shards route to `index`.
InfoHash HashOn(std::uint32_t index, std::uint32_t count, int n) {
  for (int i = 0;; ++i) {
    InfoHash hash = testing::Hash(static_cast<char>('a' + i % 20), static_cast<char>(i / 20));
    if (ShardFor(hash, count) == index && n-- == 0) return hash;
  }
}

SetState Set(std::uint32_t index, std::uint32_t count, std::uint64_t generation) {
  SetState set;
  set.index = index;
  set.count = count;
  set.generation = generation;
  return set;
}

void Add(SetState& set, const InfoHash& hash, std::uint64_t completed,
         std::vector<PeerRecord> peers) {
  LoadingTorrent& torrent = set.torrents[hash];
  torrent.completed = completed;
  torrent.peers.AddFromSnapshot(std::move(peers));
}

TEST(LoadingSetTest, OneSetIsMovedOutSortedWithoutTheTorrentsLeftWithNothing) {
  std::vector<SetState> sets{Set(0, 1, 3)};
  const InfoHash a = HashOn(0, 1, 0), b = HashOn(0, 1, 1), gone = HashOn(0, 1, 2);
  Add(sets[0], b, 0, {Peer(2, 20, 100), Peer(1, 10, 100)});
  Add(sets[0], a, 4, {});
  Add(sets[0], gone, 0, {Peer(3, 30, 100)});
  sets[0].torrents[gone].peers.Remove(Peer(3, 30, 0), kKey);
  std::vector<TorrentRecord> out;
  MergeSets(sets, out);
  std::vector<TorrentRecord> want{Torrent(a, 4),
                                  Torrent(b, 0, {Peer(1, 10, 100), Peer(2, 20, 100)})};
  std::sort(want.begin(), want.end(), [](const TorrentRecord& x, const TorrentRecord& y) {
    return x.info_hash < y.info_hash;
  });
  EXPECT_EQ(out, want);
  EXPECT_TRUE(sets[0].torrents.empty());
}

// An older layout's larger count (since retired by the newer set's --torrent-retention, say)
// does not win: the newest owning set's own first snapshot took in every older count.
TEST(LoadingSetTest, TheNewestOwningSetGivesThePeersAndTheCount) {
  const InfoHash hash = HashOn(1, 2, 0);  // shard 1 of 2; of one shard, shard 0
  std::vector<SetState> sets{Set(1, 2, 5), Set(0, 1, 9)};
  Add(sets[0], hash, 8, {Peer(2, 20, 100)});
  Add(sets[1], hash, 7, {Peer(1, 10, 100)});  // the newest owner
  std::vector<TorrentRecord> out;
  MergeSets(sets, out);
  EXPECT_EQ(out, (std::vector<TorrentRecord>{Torrent(hash, 7, {Peer(1, 10, 100)})}));
}

}  // namespace
}  // namespace shardtrack

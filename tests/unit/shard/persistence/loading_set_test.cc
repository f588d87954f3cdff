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

// A copy or a restore that left out a shard of an old layout: a reader that may own some of its
// torrents finds a gap; one that cannot (jump hash) does not.
TEST(LayoutGapsTest, AMissingShardThatMayHoldTheReadersTorrentsIsAGap) {
  const std::vector<FileSet> sets{{0, 2, 4}};
  auto gaps = UncoveredGaps(sets, 2, 3, 3);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].count, 2u);
  EXPECT_EQ(gaps[0].missing, std::vector<std::uint32_t>{1});
  EXPECT_EQ(gaps[0].more_missing, 0u);
  EXPECT_EQ(DescribeGap(gaps[0], "d"), "no file of shard 1 of 2 is in d though shard 0 of 2's are");
  EXPECT_EQ(UncoveredGaps(sets, 1, 3, 3).size(), 1u);  // kept what shard 1 of 2 did not move
  EXPECT_TRUE(UncoveredGaps(sets, 0, 3, 3).empty());   // took nothing from shard 1 of 2
  // Shrinking: shard 0 of 2 took shards 0, 2 and 3 of 4's torrents, not shard 1's.
  EXPECT_EQ(UncoveredGaps({{0, 4, 4}, {1, 4, 4}, {3, 4, 4}}, 0, 2, 2).size(), 1u);
  EXPECT_TRUE(UncoveredGaps({{0, 4, 4}, {2, 4, 4}, {3, 4, 4}}, 0, 2, 2).empty());
}

TEST(LayoutGapsTest, NoGapInAnEmptyDirectoryAWholeLayoutOrTheExemptOne) {
  EXPECT_TRUE(UncoveredGaps({}, 0, 3, 3).empty());  // a first start
  EXPECT_TRUE(UncoveredGaps({{0, 2, 4}, {1, 2, 4}}, 2, 3, 3).empty());
  // The reader's own layout: it reads none of its other shards, which may be yet to start.
  EXPECT_TRUE(UncoveredGaps({{0, 2, 4}, {1, 2, 5}, {0, 3, 6}}, 2, 3, 3).empty());
  // The tools exempt the layout in force, for the same reason.
  EXPECT_TRUE(UncoveredGaps({{0, 2, 4}, {1, 2, 5}, {0, 3, 6}}, 0, 1, 3).empty());
}

TEST(LayoutGapsTest, ANewerLayoutHoldingAllTheReadersTorrentsSpeaksForAGap) {
  // A retire cut short left shard 0 of 2 behind; every shard of 3 started after it ran.
  const std::vector<FileSet> retired{{0, 2, 4}, {0, 3, 6}, {1, 3, 6}, {2, 3, 7}};
  EXPECT_TRUE(UncoveredGaps(retired, 0, 1, 3).empty());  // the tools
  EXPECT_TRUE(UncoveredGaps(retired, 3, 4, 4).empty());  // a shard of a further resize
  // The reader's own set, newer: it read the old layout at an earlier start.
  EXPECT_TRUE(UncoveredGaps({{0, 2, 4}, {2, 3, 5}}, 2, 3, 3).empty());
  // Not newer, or not whole, it does not.
  EXPECT_EQ(UncoveredGaps({{0, 2, 4}, {2, 3, 4}}, 2, 3, 3).size(), 1u);
  EXPECT_EQ(UncoveredGaps({{0, 2, 4}, {0, 3, 6}, {2, 3, 7}}, 0, 1, 3).size(), 1u);
}

TEST(LayoutGapsTest, NamesAFewMissingShardsAndCountsTheRest) {
  auto gaps = UncoveredGaps({{0, 8, 4}}, 0, 1, 1);  // the tools, shard 0 of 8 alone
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].missing, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(gaps[0].more_missing, 4u);
  EXPECT_EQ(DescribeGap(gaps[0], "d"),
            "no file of shards 1, 2, 3 and 4 more of 8 is in d though shard 0 of 8's are");
  // A count is whatever a header says: not tried shard by shard.
  constexpr std::uint32_t kHuge = 4000000000u;
  gaps = UncoveredGaps({{0, kHuge, 4}}, 1, 2, 2);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].missing, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(gaps[0].more_missing, kHuge - 1 - 3);
}

}  // namespace
}  // namespace shardtrack

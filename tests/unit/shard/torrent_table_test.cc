// TorrentTable: an ordered open-addressing table. Checked against std::map under random inserts
// and erases, across growth and shrinking, with random and with crowded infohash prefixes.
#include "shard/torrent_table.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "shard/fast_rng.h"

namespace shardtrack {
namespace {

InfoHash RandomHash(FastRng& rng) {
  InfoHash out;
  for (auto& byte : out.bytes) byte = static_cast<std::uint8_t>(rng.Below(256));
  return out;
}

// A hash sharing its first 8 bytes with every other one made here: the worst case for homes.
InfoHash CrowdedHash(std::uint32_t n) {
  InfoHash out;
  out.bytes.fill(0x77);
  out.bytes[16] = static_cast<std::uint8_t>(n >> 24);
  out.bytes[17] = static_cast<std::uint8_t>(n >> 16);
  out.bytes[18] = static_cast<std::uint8_t>(n >> 8);
  out.bytes[19] = static_cast<std::uint8_t>(n);
  return out;
}

// The table holds exactly `model`'s keys, in order, each with its completed count as the value.
void ExpectSameAs(const TorrentTable& table, const std::map<InfoHash, std::uint64_t>& model) {
  ASSERT_EQ(table.size(), model.size());
  using Entries = std::vector<std::pair<InfoHash, std::uint64_t>>;
  Entries listed;
  table.ForEach([&](const InfoHash& hash, const TorrentSwarm& swarm) {
    listed.emplace_back(hash, swarm.completed());
  });
  EXPECT_EQ(listed, Entries(model.begin(), model.end()));
  for (const auto& [hash, completed] : model) {
    const std::size_t index = table.Find(hash);
    ASSERT_NE(index, table.end());
    EXPECT_EQ(table.SwarmAt(index).completed(), completed);
  }
}

void RunRandomOperations(FastRng& rng, int steps, std::uint32_t key_space, bool crowded) {
  TorrentTable table;
  std::map<InfoHash, std::uint64_t> model;
  std::vector<InfoHash> keys;
  for (std::uint32_t n = 0; n < key_space; ++n) {
    keys.push_back(crowded ? CrowdedHash(n * 2654435761u) : RandomHash(rng));
  }
  for (int step = 0; step < steps; ++step) {
    const InfoHash& hash = keys[rng.Below(key_space)];
    // Insert more than erase for the first half, then mostly erase: grows, then shrinks.
    const bool insert = rng.Below(10) < (step < steps / 2 ? 7u : 2u);
    if (insert) {
      const std::size_t index = table.FindOrInsert(hash);
      table.SwarmAt(index).set_completed(step + 1);
      model[hash] = step + 1;
    } else if (const std::size_t index = table.Find(hash); index != table.end()) {
      table.Erase(index);
      model.erase(hash);
    } else {
      EXPECT_EQ(model.count(hash), 0u);
    }
  }
  ExpectSameAs(table, model);
}

TEST(TorrentTableTest, ManyRandomInsertsAndErasesKeepEveryTorrentReachableAndOrdered) {
  FastRng rng(7);
  RunRandomOperations(rng, 60000, 20000, false);
}

TEST(TorrentTableTest, CrowdedPrefixesStillWork) {
  FastRng rng(8);
  RunRandomOperations(rng, 6000, 1500, true);
}

TEST(TorrentTableTest, FindOfAnAbsentKeyIsEnd) {
  TorrentTable table;
  FastRng rng(9);
  EXPECT_EQ(table.Find(RandomHash(rng)), table.end());
  table.FindOrInsert(RandomHash(rng));
  EXPECT_EQ(table.Find(RandomHash(rng)), table.end());
  EXPECT_EQ(table.size(), 1u);
}

TEST(TorrentTableTest, LowerBoundFindsTheFirstKeyNotBelow) {
  FastRng rng(10);
  TorrentTable table;
  std::map<InfoHash, std::uint64_t> model;
  for (int n = 0; n < 3000; ++n) {
    const InfoHash hash = RandomHash(rng);
    table.FindOrInsert(hash);
    model[hash] = 0;
  }
  for (int probe = 0; probe < 3000; ++probe) {
    const InfoHash hash = probe % 2 ? RandomHash(rng) : std::next(model.begin(), probe)->first;
    const auto expected = model.lower_bound(hash);
    const std::size_t index = table.LowerBound(hash);
    if (expected == model.end()) {
      EXPECT_EQ(index, table.end());
    } else {
      ASSERT_NE(index, table.end());
      EXPECT_EQ(table.KeyAt(index), expected->first);
    }
  }
}

TEST(TorrentTableTest, SlotsCostLittleMoreThanTheirSizePerTorrent) {
  FastRng rng(11);
  TorrentTable table;
  for (int n = 0; n < 100000; ++n) table.FindOrInsert(RandomHash(rng));
  // 2^17 homes for 100000 torrents (load 0.76), 56-byte slots: about 73 bytes a torrent.
  EXPECT_LT(table.AllocatedBytes() / table.size(), 80u);
}

}  // namespace
}  // namespace shardtrack

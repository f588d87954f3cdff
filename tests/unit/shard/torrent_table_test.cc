// TorrentTable: an ordered open-addressing table. Checked against std::map under random inserts
// and erases, across growth and shrinking, with random and with crafted (crowded) infohashes.
#include "shard/torrent_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "common/fast_rng.h"
#include "common/siphash.h"

namespace shardtrack {
namespace {

InfoHash RandomHash(FastRng& rng) {
  InfoHash out;
  for (auto& byte : out.bytes) byte = static_cast<std::uint8_t>(rng.Below(256));
  return out;
}

// A hash sharing its first 16 bytes with every other one made here: what an attacker would send
// to a table ordered by the infohash itself.
InfoHash CrowdedHash(std::uint32_t n) {
  InfoHash out;
  out.bytes.fill(0x77);
  out.bytes[16] = static_cast<std::uint8_t>(n >> 24);
  out.bytes[17] = static_cast<std::uint8_t>(n >> 16);
  out.bytes[18] = static_cast<std::uint8_t>(n >> 8);
  out.bytes[19] = static_cast<std::uint8_t>(n);
  return out;
}

const SipHashKey kKey = {0x0123456789abcdef, 0xfedcba9876543210};

// Inserts `count` random torrents, torrent n with completed count n; returns their infohashes.
std::vector<InfoHash> InsertRandom(TorrentTable& table, FastRng& rng, int count) {
  std::vector<InfoHash> hashes;
  for (int n = 0; n < count; ++n) {
    hashes.push_back(RandomHash(rng));
    table.SwarmAt(table.FindOrInsert(hashes.back())).set_completed(n);
  }
  return hashes;
}

// The table holds exactly `model`'s keys, each with its completed count as the value, and its
// iteration order agrees with Next().
void ExpectSameAs(const TorrentTable& table, const std::map<InfoHash, std::uint64_t>& model) {
  ASSERT_EQ(table.size(), model.size());
  using Entries = std::vector<std::pair<InfoHash, std::uint64_t>>;
  Entries listed;
  table.ForEach([&](const InfoHash& hash, const TorrentSwarm& swarm) {
    listed.emplace_back(hash, swarm.completed());
  });
  std::size_t walk = table.Begin();
  for (const auto& entry : listed) {
    ASSERT_NE(walk, table.end());
    EXPECT_EQ(table.KeyAt(walk), entry.first);
    walk = table.Next(walk + 1);
  }
  EXPECT_EQ(walk, table.end());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, Entries(model.begin(), model.end()));
  for (const auto& [hash, completed] : model) {
    const std::size_t index = table.Find(hash);
    ASSERT_NE(index, table.end());
    EXPECT_EQ(table.SwarmAt(index).completed(), completed);
  }
}

void RunRandomOperations(FastRng& rng, int steps, std::uint32_t key_space, bool crowded) {
  TorrentTable table(kKey);
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

TEST(TorrentTableTest, ATableThatFillsAndEmptiesTwiceKeepsExactlyItsTorrents) {
  // Segments resize in place: grown from the last slot, shrunk from the first, through malloc'd
  // arrays and mapped ones of several pages (120,000 torrents: ~470 a segment, 6 pages) and back.
  FastRng rng(15);
  TorrentTable table(kKey);
  std::map<InfoHash, std::uint64_t> model;
  std::uint64_t next_count = 0;
  for (const std::size_t target : {120000u, 400u, 60000u, 0u}) {
    while (model.size() < target) {
      const InfoHash hash = RandomHash(rng);
      table.SwarmAt(table.FindOrInsert(hash)).set_completed(next_count);
      model[hash] = next_count++;
    }
    while (model.size() > target) {
      auto victim = model.lower_bound(RandomHash(rng));
      if (victim == model.end()) victim = model.begin();
      table.Erase(table.Find(victim->first));
      model.erase(victim);
    }
    ExpectSameAs(table, model);
  }
  EXPECT_LE(table.AllocatedBytes(), TorrentTable::kSegments * 10 * 48)
      << "every segment back to a few slots";
}

TEST(TorrentTableTest, AWalkThatErasesAsItGoesResumesByKeyAndMissesNone) {
  // Expiry's way through the table: erase some torrents on the way (which may shrink a segment
  // and move every index), resuming at LowerBound of the erased key. Every torrent is visited
  // exactly once, and the survivors are exactly the ones kept.
  FastRng rng(14);
  TorrentTable table(kKey);
  std::map<InfoHash, std::uint64_t> kept;
  for (const InfoHash& hash : InsertRandom(table, rng, 20000)) {
    kept[hash] = table.SwarmAt(table.Find(hash)).completed();
  }
  std::set<InfoHash> visited;
  std::size_t at = table.Begin();
  while (at != table.end()) {
    const InfoHash key = table.KeyAt(at);
    ASSERT_TRUE(visited.insert(key).second) << "visited twice";
    if (rng.Below(10) < 9) {  // most go: segments shrink on the way
      table.Erase(at);
      kept.erase(key);
      at = table.LowerBound(key);
    } else {
      at = table.Next(at + 1);
    }
    if (at != table.end()) {
      ASSERT_EQ(table.LowerBound(table.KeyAt(at)), at);
    }
  }
  EXPECT_EQ(visited.size(), 20000u);
  ExpectSameAs(table, kept);
}

TEST(TorrentTableTest, CraftedInfohashesStillWork) {
  FastRng rng(8);
  RunRandomOperations(rng, 6000, 1500, true);
}

TEST(TorrentTableTest, CraftedInfohashesDoNotCrowdOneRun) {
  // Ordered by the infohash, these would share one segment and one home and grow one run past
  // the segment's end, each insert shifting all of it; under the secret key they spread like
  // random ones, and cost what random ones do.
  TorrentTable crafted(kKey);
  TorrentTable random(kKey);
  FastRng rng(12);
  for (std::uint32_t n = 0; n < 50000; ++n) {
    crafted.FindOrInsert(CrowdedHash(n));
    random.FindOrInsert(RandomHash(rng));
  }
  EXPECT_LT(crafted.AllocatedBytes(), random.AllocatedBytes() * 11 / 10);
}

TEST(TorrentTableTest, ATableGrowsASegmentAtATime) {
  // A resize rebuilds one segment, so the loop's pause is bounded by a segment, not the table:
  // no single insert adds more than a small part of the table's bytes (one table of all the
  // slots would double at once, adding half of them).
  FastRng rng(13);
  TorrentTable table(kKey);
  std::size_t largest_step = 0;
  for (int n = 0; n < 100000; ++n) {
    const std::size_t before = table.AllocatedBytes();
    table.FindOrInsert(RandomHash(rng));
    const std::size_t after = table.AllocatedBytes();
    if (after > before) largest_step = std::max(largest_step, after - before);
  }
  EXPECT_LT(largest_step, table.AllocatedBytes() / 64);
}

TEST(TorrentTableTest, TheOrderDependsOnTheKey) {
  TorrentTable first(kKey);
  TorrentTable second({1, 2});
  for (std::uint32_t n = 0; n < 100; ++n) {
    first.FindOrInsert(CrowdedHash(n));
    second.FindOrInsert(CrowdedHash(n));
  }
  std::vector<InfoHash> first_order;
  std::vector<InfoHash> second_order;
  first.ForEach([&](const InfoHash& hash, const TorrentSwarm&) { first_order.push_back(hash); });
  second.ForEach([&](const InfoHash& hash, const TorrentSwarm&) { second_order.push_back(hash); });
  EXPECT_NE(first_order, second_order);
}

TEST(TorrentTableTest, FindOfAnAbsentKeyIsEnd) {
  TorrentTable table(kKey);
  FastRng rng(9);
  EXPECT_EQ(table.Find(RandomHash(rng)), table.end());
  table.FindOrInsert(RandomHash(rng));
  EXPECT_EQ(table.Find(RandomHash(rng)), table.end());
  EXPECT_EQ(table.size(), 1u);
}

TEST(TorrentTableTest, LowerBoundFindsAKeyOrWhereItWouldGo) {
  FastRng rng(10);
  TorrentTable table(kKey);
  const std::vector<InfoHash> present = InsertRandom(table, rng, 3000);
  for (const InfoHash& hash : present) EXPECT_EQ(table.KeyAt(table.LowerBound(hash)), hash);
  for (int probe = 0; probe < 300; ++probe) {
    const InfoHash absent = RandomHash(rng);
    const std::size_t bound = table.LowerBound(absent);
    const bool at_end = bound == table.end();
    const InfoHash follower = at_end ? InfoHash() : table.KeyAt(bound);
    // Inserted, the absent key lands just before what LowerBound named.
    const std::size_t inserted = table.FindOrInsert(absent);
    const std::size_t next = table.Next(inserted + 1);
    EXPECT_EQ(next == table.end(), at_end);
    if (!at_end && next != table.end()) {
      EXPECT_EQ(table.KeyAt(next), follower);
    }
    table.Erase(table.Find(absent));
  }
}

TEST(TorrentTableTest, TorrentsWhoseHashBitsCollideAreAllKeptApart) {
  // Slots keep 31 bits of the keyed hash (the lowest is always set): 300000 torrents share
  // them 18 times under this key (about n^2 / 2^32), and the infohash orders those.
  FastRng rng(5);
  TorrentTable table(kKey);
  const std::vector<InfoHash> hashes = InsertRandom(table, rng, 300000);
  ASSERT_EQ(table.size(), hashes.size());
  std::set<std::uint32_t> kept_bits;  // the slots' bits, as torrent_table.cc derives them
  for (const InfoHash& hash : hashes) {
    kept_bits.insert(static_cast<std::uint32_t>(SipHash24(kKey, hash.view()) >> 32) | 1);
  }
  ASSERT_GE(hashes.size() - kept_bits.size(), 10u) << "the case this test is about must occur";
  for (std::size_t n = 0; n < hashes.size(); ++n) {
    const std::size_t at = table.Find(hashes[n]);
    ASSERT_NE(at, table.end()) << n;
    ASSERT_EQ(table.SwarmAt(at).completed(), n) << n;
  }
  std::size_t visited = 0;
  for (std::size_t at = table.Begin(); at != table.end(); at = table.Next(at + 1)) ++visited;
  EXPECT_EQ(visited, hashes.size());
}

TEST(TorrentTableTest, SlotsCostLittleMoreThanTheirSizePerTorrentAtEverySize) {
  // Segments grow by a quarter past 7/8 load, so none is much less than 7/10 full once it holds
  // a few dozen: 48-byte slots cost about 48 / 0.7 = 69 bytes a torrent at most, a little more
  // with the tails and with arrays filling their last page (3 pages a segment or more from
  // 50,000 torrents). Doubling would leave them 7/16 full just after (110 bytes), as at 115,000
  // and 229,000 torrents here.
  FastRng rng(11);
  TorrentTable table(kKey);
  for (int n = 1; n <= 250000; ++n) {
    table.FindOrInsert(RandomHash(rng));
    if (n >= 50000 && n % 2500 == 0) {
      EXPECT_LT(table.AllocatedBytes() / table.size(), 74u) << n;
    }
  }
}

}  // namespace
}  // namespace shardtrack

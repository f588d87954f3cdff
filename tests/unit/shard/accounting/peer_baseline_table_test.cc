// PeerBaselineTable: a flat table of clients' counter baselines that finds, replaces and erases
// by torrent and client, keeps every entry across growth, and goes round its slots slice by
// slice forgetting stale baselines without losing any for good.
#include "shard/accounting/peer_baseline_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace shardtrack {
namespace {

using Key = PeerBaselineTable::Key;
using Baseline = PeerBaselineTable::Baseline;

constexpr SipHashKey kKey{1, 2};

// Client n: torrent n / 50, client value from n.
Key PeerNumber(std::uint32_t n) {
  Key key;
  const std::uint32_t torrent = n / 50;
  for (std::size_t i = 0; i < 4; ++i) key.info_hash.bytes[i] = (torrent >> (8 * i)) & 0xff;
  key.client = 0x5eed0000'00000000u + n;
  return key;
}

Baseline Seen(UnixSeconds when, std::uint64_t uploaded = 0) {
  return {uploaded, uploaded / 2, when, uploaded % 2 == 0, uploaded % 3 == 0};
}

bool Erase(PeerBaselineTable& table, const Key& key) {
  const std::size_t position = table.Find(key);
  if (position == PeerBaselineTable::kAbsent) return false;
  table.EraseAt(position);
  return true;
}

std::vector<std::pair<Key, Baseline>> Contents(const PeerBaselineTable& table) {
  std::vector<std::pair<Key, Baseline>> out;
  table.ForEach(
      [&out](const Key& key, const Baseline& baseline) { out.emplace_back(key, baseline); });
  return out;
}

TEST(PeerBaselineTableTest, FindsReplacesAndErasesByTorrentAndClient) {
  PeerBaselineTable table(kKey);
  EXPECT_EQ(table.Find(PeerNumber(1)), PeerBaselineTable::kAbsent);
  table.Put(PeerNumber(1), Seen(100, 7));
  table.Put(PeerNumber(2), Seen(200, 8));
  ASSERT_NE(table.Find(PeerNumber(1)), PeerBaselineTable::kAbsent);
  EXPECT_EQ(table.At(table.Find(PeerNumber(1))), Seen(100, 7));

  table.Replace(table.Find(PeerNumber(1)), Seen(150, 9));
  table.Put(PeerNumber(2), Seen(250, 10));  // replaces
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.At(table.Find(PeerNumber(1))), Seen(150, 9));
  EXPECT_EQ(table.At(table.Find(PeerNumber(2))), Seen(250, 10));

  EXPECT_TRUE(Erase(table, PeerNumber(1)));
  EXPECT_FALSE(Erase(table, PeerNumber(1)));
  EXPECT_EQ(table.Find(PeerNumber(1)), PeerBaselineTable::kAbsent);
  table.EraseAt(table.Find(PeerNumber(2)));
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Find(PeerNumber(2)), PeerBaselineTable::kAbsent);
}

TEST(PeerBaselineTableTest, KeysDifferingInAnyPartAreDifferentClients) {
  PeerBaselineTable table(kKey);
  Key base = PeerNumber(0);
  Key other_torrent = base;
  other_torrent.info_hash.bytes[19] = 1;
  Key other_client = base;
  other_client.client ^= std::uint64_t{1} << 63;
  table.Put(base, Seen(1));
  table.Put(other_torrent, Seen(2));
  table.Put(other_client, Seen(3));
  table.Put(base, Seen(4));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.At(table.Find(base)), Seen(4));
  EXPECT_EQ(table.At(table.Find(other_torrent)), Seen(2));
  EXPECT_EQ(table.At(table.Find(other_client)), Seen(3));
}

TEST(PeerBaselineTableTest, CountsEachOwnersBaselinesThroughErasureAndExpiry) {
  PeerBaselineTable table(kKey);
  for (std::uint32_t n = 0; n < 1000; ++n) {
    Baseline baseline = Seen(n < 500 ? 100 : 200);
    baseline.owner = n % 4;
    table.Put(PeerNumber(n), baseline);
  }
  table.Put(PeerNumber(0), Seen(300));  // replaced: still counted once, for its owner
  EXPECT_EQ(table.CountOf(0), 250u);
  Baseline claimed = Seen(100);  // a replacement naming another owner keeps the first one's
  claimed.owner = 0;
  table.Put(PeerNumber(3), claimed);
  EXPECT_EQ(table.CountOf(3), 250u);
  EXPECT_EQ(table.CountOf(9), 0u);
  table.EraseAt(table.Find(PeerNumber(1)));
  EXPECT_EQ(table.CountOf(1), 249u);
  EXPECT_EQ(table.ExpireSlice(100, 1), 498u);  // the first half but 0 (seen at 300) and 1 (gone)
  EXPECT_EQ(table.CountOf(0), 126u);
  EXPECT_EQ(table.CountOf(1), 125u);
  EXPECT_EQ(table.CountOf(2), 125u);
  EXPECT_EQ(table.CountOf(3), 125u);  // its expiry released owner 3's count, not owner 0's
  // Counted by bucket in two rows: an owner sharing both of owner 2's buckets shares its count,
  // one sharing a single bucket does not.
  constexpr std::uint64_t kBuckets = PeerBaselineTable::kOwnerBuckets;
  EXPECT_EQ(table.CountOf(2 + kBuckets * kBuckets), 125u);
  EXPECT_EQ(table.CountOf(2 + kBuckets), 0u);
  EXPECT_EQ(table.CountOf(kBuckets * 2), 0u);
}

// Once its segments are past their smallest size (8 slots each).
TEST(PeerBaselineTableTest, GrowsKeepingEveryEntryAndStaysBetweenSevenTenthsAndSevenEighthsFull) {
  PeerBaselineTable table(kKey);
  constexpr std::uint32_t kPeers = 100'000;
  for (std::uint32_t n = 0; n < kPeers; ++n) {
    table.Put(PeerNumber(n), Seen(n, n));
    if (n % 997 == 0) {
      const double load = static_cast<double>(table.size()) / table.slot_count();
      EXPECT_LE(load, 7.0 / 8);
      if (n > 20'000) {
        EXPECT_GE(load, 0.69) << n;
      }
    }
  }
  ASSERT_EQ(table.size(), kPeers);
  for (std::uint32_t n = 0; n < kPeers; ++n) {
    const std::size_t found = table.Find(PeerNumber(n));
    ASSERT_NE(found, PeerBaselineTable::kAbsent) << n;
    ASSERT_EQ(table.At(found), Seen(n, n)) << n;
  }
  EXPECT_EQ(table.Find(PeerNumber(kPeers)), PeerBaselineTable::kAbsent);
}

// Growing one segment at a time keeps each pause on the loop to a few hundredths of the table.
TEST(PeerBaselineTableTest, AGrowthResizesAFewHundredthsOfTheTableAtMost) {
  PeerBaselineTable table(kKey);
  std::size_t growths = 0;
  for (std::uint32_t n = 0; n < 200'000; ++n) {
    const std::size_t before = table.slot_count();
    table.Put(PeerNumber(n), Seen(n));
    if (table.slot_count() == before) continue;
    ++growths;
    if (before > 100 * PeerBaselineTable::kSegments) {
      ASSERT_LE(table.slot_count() - before, before / 200) << n;
    }
  }
  EXPECT_GT(growths, 10 * PeerBaselineTable::kSegments);
}

TEST(PeerBaselineTableTest, ErasingInAnyOrderLeavesTheOthersFindable) {
  PeerBaselineTable table(kKey);
  constexpr std::uint32_t kPeers = 20'000;
  std::vector<std::uint32_t> order(kPeers);
  for (std::uint32_t n = 0; n < kPeers; ++n) {
    order[n] = n;
    table.Put(PeerNumber(n), Seen(n));
  }
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (std::uint32_t i = 0; i < kPeers / 2; ++i) ASSERT_TRUE(Erase(table, PeerNumber(order[i])));
  EXPECT_EQ(table.size(), kPeers / 2);
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    const std::size_t found = table.Find(PeerNumber(order[i]));
    if (i < kPeers / 2) {
      ASSERT_EQ(found, PeerBaselineTable::kAbsent) << i;
    } else {
      ASSERT_NE(found, PeerBaselineTable::kAbsent) << i;
      ASSERT_EQ(table.At(found), Seen(order[i]));
    }
  }
  for (std::uint32_t i = 0; i < kPeers / 2; ++i) table.Put(PeerNumber(order[i]), Seen(1));
  EXPECT_EQ(table.size(), kPeers);
  EXPECT_EQ(Contents(table).size(), kPeers);
}

TEST(PeerBaselineTableTest, ForEachVisitsEveryEntryOnceWithItsBaseline) {
  PeerBaselineTable table(kKey);
  for (std::uint32_t n = 0; n < 1000; ++n) table.Put(PeerNumber(n), Seen(n, 3 * n));
  table.Put(Key{PeerNumber(0).info_hash, ~std::uint64_t{0}}, Seen(5));
  std::vector<std::pair<Key, Baseline>> contents = Contents(table);
  ASSERT_EQ(contents.size(), 1001u);
  PeerBaselineTable copy(SipHashKey{3, 4});
  for (const auto& [key, baseline] : contents) copy.Put(key, baseline);
  EXPECT_EQ(copy.size(), 1001u);
  for (const auto& [key, baseline] : Contents(copy)) {
    const std::size_t found = table.Find(key);
    ASSERT_NE(found, PeerBaselineTable::kAbsent);
    EXPECT_EQ(table.At(found), baseline);
  }
}

TEST(PeerBaselineTableTest, TheSecretKeyDecidesWhereEntriesLie) {
  PeerBaselineTable one(kKey);
  PeerBaselineTable other(SipHashKey{3, 4});
  for (std::uint32_t n = 0; n < 100; ++n) {
    one.Put(PeerNumber(n), Seen(n));
    other.Put(PeerNumber(n), Seen(n));
  }
  std::vector<std::uint16_t> one_order;
  std::vector<std::uint16_t> other_order;
  for (const auto& [key, baseline] : Contents(one)) one_order.push_back(key.client & 0xff);
  for (const auto& [key, baseline] : Contents(other)) other_order.push_back(key.client & 0xff);
  EXPECT_NE(one_order, other_order);
}

TEST(PeerBaselineTableTest, OneLapOfSlicesForgetsEveryStaleBaselineAndNoOther) {
  PeerBaselineTable table(kKey);
  EXPECT_EQ(table.ExpireSlice(100, 50), 0u);  // empty: nothing to walk
  for (std::uint32_t n = 0; n < 5000; ++n) table.Put(PeerNumber(n), Seen(n % 3 == 0 ? 200 : 100));
  std::size_t removed = 0;
  for (int slice = 0; slice < 13; ++slice) {
    const std::size_t now_removed = table.ExpireSlice(100, 13);
    EXPECT_LT(now_removed, 3333u / 6) << "a slice, not the whole table";
    removed += now_removed;
  }
  EXPECT_EQ(removed, 5000u - 1667u);
  EXPECT_EQ(table.size(), 1667u);
  for (const auto& [key, baseline] : Contents(table)) EXPECT_EQ(baseline.last_seen, 200);
  EXPECT_EQ(table.ExpireSlice(100, 1), 0u);
  EXPECT_EQ(table.ExpireSlice(200, 1), 1667u);
  EXPECT_EQ(table.slot_count(), 0u) << "empty segments hold no memory";
}

// Stale baselines among fresh ones that keep coming, the table growing between slices,
// Record-like erasures at random: one lap after the last insertion every stale one is gone, and
// no fresh one.
TEST(PeerBaselineTableTest, ExpiryOverManyLapsWithGrowthInBetweenForgetsEveryStaleOne) {
  PeerBaselineTable table(kKey);
  constexpr std::uint32_t kStale = 3000;
  constexpr std::uint32_t kFresh = 60'000;
  constexpr std::size_t kSlicesPerLap = 64;
  for (std::uint32_t n = 0; n < kStale; ++n) table.Put(PeerNumber(n), Seen(100));
  std::mt19937 random(11);
  std::size_t removed = 0;
  std::size_t growths = 0;
  std::uint32_t next = kStale;
  std::size_t erased_fresh = 0;
  for (std::size_t slice = 0; next < kStale + kFresh; ++slice) {
    const std::size_t slots = table.slot_count();
    for (int i = 0; i < 20; ++i) table.Put(PeerNumber(next++), Seen(500));
    if (table.slot_count() != slots) ++growths;
    if (random() % 4 == 0)
      erased_fresh += Erase(table, PeerNumber(kStale + random() % (next - kStale)));
    removed += table.ExpireSlice(100, kSlicesPerLap);
  }
  EXPECT_GE(growths, 5u);
  for (std::size_t slice = 0; slice < kSlicesPerLap; ++slice) {
    removed += table.ExpireSlice(100, kSlicesPerLap);
  }
  EXPECT_EQ(removed, kStale);
  EXPECT_EQ(table.size(), kFresh - erased_fresh);
  for (std::uint32_t n = 0; n < kStale; ++n) {
    EXPECT_EQ(table.Find(PeerNumber(n)), PeerBaselineTable::kAbsent);
  }
}

TEST(PeerBaselineTableTest, ShrinksOnceAPeakOfPeersHasGoneAndKeepsTheRest) {
  PeerBaselineTable table(kKey);
  constexpr std::uint32_t kPeak = 200'000;
  constexpr std::uint32_t kStaying = 10'000;
  for (std::uint32_t n = 0; n < kPeak; ++n) table.Put(PeerNumber(n), Seen(100));
  for (std::uint32_t n = kPeak; n < kPeak + kStaying; ++n) table.Put(PeerNumber(n), Seen(500, n));
  const std::size_t peak_slots = table.slot_count();
  EXPECT_GT(peak_slots, kPeak);
  std::size_t removed = 0;
  for (int slice = 0; slice < 10; ++slice) removed += table.ExpireSlice(100, 10);
  EXPECT_EQ(removed, kPeak);
  EXPECT_EQ(table.size(), kStaying);
  EXPECT_LE(table.slot_count(), kStaying * 2);  // three fifths full, not a twentieth
  EXPECT_GE(table.slot_count(), kStaying + kStaying / 8);
  for (std::uint32_t n = kPeak; n < kPeak + kStaying; ++n) {
    const std::size_t position = table.Find(PeerNumber(n));
    ASSERT_NE(position, PeerBaselineTable::kAbsent) << n;
    EXPECT_EQ(table.At(position), Seen(500, n));
  }
}

}  // namespace
}  // namespace shardtrack

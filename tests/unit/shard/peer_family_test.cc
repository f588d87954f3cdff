// PeerFamily: packed seeders and leechers in one block, each kind endpoint-ordered (or, past
// kIndexFrom peers, indexed by endpoint), with or without peer ids; the block grows and shrinks
// with hysteresis.
#include "shard/peer_family.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <utility>

#include "common/fast_rng.h"

namespace shardtrack {
namespace {

PeerFamily4::Endpoint EndpointOf(std::uint32_t n) {
  // 10.x.y.z, port 6881 + n % 7: distinct for every n.
  return {10,
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n),
          static_cast<std::uint8_t>((6881 + n % 7) >> 8),
          static_cast<std::uint8_t>((6881 + n % 7) & 0xff)};
}

// StateOf's times start here; every family's are read back against it (shard/seen_time.h).
constexpr UnixSeconds kEpoch = 1'700'000'000;

PeerState StateOf(std::uint32_t n) {
  PeerState state;
  state.peer_id.bytes.fill(static_cast<std::uint8_t>(n));
  state.peer_id.bytes[0] = static_cast<std::uint8_t>(n >> 8);
  state.last_seen = kEpoch + n;
  state.completed = n % 3 == 0;
  return state;
}

constexpr PeerKind kSeeder = PeerKind::kSeeder;
// A family about three times past kIndexFrom, of a size divisible by 30 and coprime with the
// stride that shuffles insert orders (7919, a prime).
constexpr std::uint32_t kLarge = 30 * (PeerFamily4::kIndexFrom / 10);
static_assert(kLarge > 2 * PeerFamily4::kIndexFrom && kLarge % 7919 != 0);
constexpr PeerKind kLeecher = PeerKind::kLeecher;

void Add(PeerFamily4& list, std::uint32_t n, bool keep_peer_ids, PeerKind kind = kLeecher) {
  const auto position = list.Find(kind, EndpointOf(n));
  ASSERT_FALSE(position.found) << n;
  list.Insert(kind, position.index, EndpointOf(n), StateOf(n), keep_peer_ids);
}

void Remove(PeerFamily4& list, std::uint32_t n, PeerKind kind = kLeecher) {
  const auto position = list.Find(kind, EndpointOf(n));
  ASSERT_TRUE(position.found) << n;
  list.Erase(kind, position.index);
}

// Every entry of `kind` is in strictly increasing endpoint order.
bool Ordered(const PeerFamily4& list, PeerKind kind = kLeecher) {
  for (std::uint32_t i = 1; i < list.size(kind); ++i) {
    if (!(list.EndpointAt(kind, i - 1) < list.EndpointAt(kind, i))) return false;
  }
  return true;
}

// Finds n as a peer of `kind` and checks its state.
void ExpectListed(const PeerFamily4& list, std::uint32_t n, PeerKind kind = kLeecher) {
  const auto position = list.Find(kind, EndpointOf(n));
  ASSERT_TRUE(position.found) << n;
  EXPECT_EQ(list.StateAt(kind, position.index, kEpoch), StateOf(n)) << n;
}

TEST(PeerFamilyTest, SortedUntilItHoldsKIndexFromPeersThenIndexed) {
  constexpr std::uint32_t kLast = PeerFamily4::kIndexFrom - 1;
  PeerFamily4 list;
  // An order that is not the endpoint order: a stride coprime with the count.
  for (std::uint32_t i = 0; i < kLast; ++i) Add(list, (i * 7919) % kLast, true);
  EXPECT_FALSE(list.indexed());
  EXPECT_TRUE(Ordered(list));
  Add(list, kLast, true);
  EXPECT_TRUE(list.indexed());
  for (std::uint32_t n = 0; n <= kLast; ++n) {
    ExpectListed(list, n);
    EXPECT_FALSE(list.Find(kSeeder, EndpointOf(n)).found) << n;
  }
  EXPECT_FALSE(list.Find(kLeecher, EndpointOf(kLast + 1)).found);
}

TEST(PeerFamilyTest, GrowsToThousandsAndShrinksBackKeepingEveryPeerFindable) {
  constexpr std::uint32_t kPeers = kLarge;
  PeerFamily4 list;
  for (std::uint32_t i = 0; i < kPeers; ++i) Add(list, (i * 7919) % kPeers, true);
  ASSERT_EQ(list.size(), kPeers);
  for (std::uint32_t n = 0; n < kPeers; ++n) ExpectListed(list, n);
  const std::size_t full = list.AllocatedBytes();

  for (std::uint32_t n = 0; n < kPeers; n += 2) Remove(list, n);  // the even ones go
  for (std::uint32_t n = 0; n < kPeers - 100; ++n) {
    if (n % 2 == 1) Remove(list, n);
  }
  ASSERT_EQ(list.size(), 50u);
  for (std::uint32_t n = kPeers - 99; n < kPeers; n += 2) ExpectListed(list, n);
  EXPECT_LT(list.AllocatedBytes(), full / 50);
  for (std::uint32_t n = kPeers - 99; n < kPeers; n += 2) Remove(list, n);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.AllocatedBytes(), 0u);
}

TEST(PeerFamilyTest, BigListGrowsByAboutAQuarter) {
  PeerFamily4 list;
  for (std::uint32_t n = 0; n < 10000; ++n) Add(list, n, true);
  EXPECT_GE(list.capacity(), list.size());
  EXPECT_LE(list.capacity(), list.size() + list.size() / 4 + 1);
}

// An index's slot holds a position + 1: two bytes while the capacity is at most 65,535, three
// beyond. Its 1.5 slots per entry cost then 3 bytes an entry, then 4.5. Every peer is found
// through growth, KeepPeerIds, expiry one by one and expiry that rebuilds and shrinks, at three
// bytes and back at two.
TEST(PeerFamilyTest, AnIndexHasSlotsAsNarrowAsItsCapacityAllowsAndFindsEveryPeerAcrossWidths) {
  constexpr std::uint32_t kPeers = 70'000;
  const auto kind_of = [](std::uint32_t n) { return n % 4 ? kLeecher : kSeeder; };
  const auto index_bytes_per_entry = [](const PeerFamily4& family) {
    const std::size_t entry =
        family.keeps_peer_ids() ? PeerFamily4::kEntrySizeWithId : PeerFamily4::kEntrySizeWithoutId;
    const std::size_t entries = 12 + std::size_t{family.capacity()} * entry;
    return static_cast<double>(family.AllocatedBytes() - entries) / family.capacity();
  };
  // Exactly the peers from..kPeers-1 are listed, each found as the kind it joined as.
  const auto expect_listed_from = [&](const PeerFamily4& family, std::uint32_t from) {
    for (std::uint32_t n = 0; n < kPeers; ++n) {
      const auto position = family.Find(kind_of(n), EndpointOf(n));
      ASSERT_EQ(position.found, n >= from) << n;
      if (position.found) {
        EXPECT_EQ(family.StateAt(kind_of(n), position.index, kEpoch).last_seen,
                  StateOf(n).last_seen)
            << n;
      }
    }
  };
  PeerFamily4 family;
  std::uint32_t n = 0;
  for (; n < PeerFamily4::kIndexFrom + 10; ++n) Add(family, n, false, kind_of(n));
  ASSERT_TRUE(family.indexed());
  EXPECT_LT(index_bytes_per_entry(family), 3.01);  // 4-byte slots would be 6
  for (; n < kPeers; ++n) Add(family, n, false, kind_of(n));
  ASSERT_GT(family.capacity(), 65'535u);
  EXPECT_NEAR(index_bytes_per_entry(family), 4.5, 0.01);
  family.KeepPeerIds();
  EXPECT_NEAR(index_bytes_per_entry(family), 4.5, 0.01);
  expect_listed_from(family, 0);
  // A tenth expires: erased one by one, each through the three-byte index.
  ASSERT_EQ(family.EraseSeenAtOrBefore(StateOf(kPeers / 10 - 1).last_seen, kEpoch), kPeers / 10);
  ASSERT_GT(family.capacity(), 65'535u);
  expect_listed_from(family, kPeers / 10);
  // Half of the rest expire: compacted into a block of two-byte slots, the index built anew.
  constexpr std::uint32_t kKept = kPeers - kPeers / 2;
  ASSERT_EQ(family.EraseSeenAtOrBefore(StateOf(kPeers / 2 - 1).last_seen, kEpoch),
            kKept - kPeers / 10);
  ASSERT_LE(family.capacity(), 65'535u);
  ASSERT_TRUE(family.indexed());
  EXPECT_LT(index_bytes_per_entry(family), 3.01);
  expect_listed_from(family, kPeers / 2);
}

// The widths meet at a capacity of 65,535 (two bytes hold its last position + 1) and 65,536
// (three): filled to the last entry, either finds every peer.
TEST(PeerFamilyTest, AFamilyFilledToACapacityAtTheSlotWidthsBoundaryFindsEveryPeer) {
  // Each capacity with the count that grows by a quarter to it.
  for (const auto& [capacity, kept] : {std::pair{65'535u, 52'428u}, std::pair{65'536u, 52'429u}}) {
    PeerFamily4 family;
    for (std::uint32_t n = 0; n < 3 * kept; ++n) Add(family, n, true);
    // All but `kept` expire: the block is reallocated for exactly `capacity` entries.
    ASSERT_EQ(family.EraseSeenAtOrBefore(StateOf(2 * kept - 1).last_seen, kEpoch), 2 * kept);
    ASSERT_EQ(family.capacity(), capacity);
    for (std::uint32_t n = 3 * kept; family.size() < capacity; ++n) Add(family, n, true);
    ASSERT_EQ(family.capacity(), capacity);
    for (std::uint32_t n = 2 * kept; n < 2 * kept + capacity; ++n) ExpectListed(family, n);
  }
}

TEST(PeerFamilyTest, SmallListsFillTheirMallocChunkAndNoMore) {
  for (bool ids : {false, true}) {
    PeerFamily4 list;
    const std::size_t entry =
        ids ? PeerFamily4::kEntrySizeWithId : PeerFamily4::kEntrySizeWithoutId;
    for (std::uint32_t n = 0; n < 12; ++n) {
      Add(list, n, ids);
      // The block plus malloc's 8 bytes is less than one 16-byte granule and one entry
      // beyond the header and the entries in use (32 bytes at least).
      const std::size_t used = 12 + list.size() * entry;
      EXPECT_LT(list.AllocatedBytes(), std::max<std::size_t>(used + entry + 16, 32)) << n;
    }
  }
}

TEST(PeerFamilyTest, OscillatingAroundACapacityDoesNotReallocate) {
  PeerFamily4 list;
  std::uint32_t n = 0;
  while (list.size() < 1000 || list.size() < list.capacity()) Add(list, n++, false);
  const std::uint32_t capacity = list.capacity();
  for (int round = 0; round < 20; ++round) {
    Add(list, n, false);  // grows past the boundary once
    Remove(list, n);
    EXPECT_GT(list.capacity(), capacity);
  }
  const std::uint32_t grown = list.capacity();
  for (int round = 0; round < 20; ++round) {
    Remove(list, n - 1);  // and back below it, without shrinking
    Add(list, n - 1, false);
    EXPECT_EQ(list.capacity(), grown);
  }
}

TEST(PeerFamilyTest, ListWithoutIdsKeepsEverythingButTheId) {
  PeerFamily4 list;
  Add(list, 5, false);
  Add(list, 3, false);
  EXPECT_FALSE(list.keeps_peer_ids());
  const auto position = list.Find(kLeecher, EndpointOf(5));
  ASSERT_TRUE(position.found);
  PeerState expected = StateOf(5);
  expected.peer_id = PeerId();
  EXPECT_EQ(list.StateAt(kLeecher, position.index, kEpoch), expected);
  EXPECT_EQ(list.Span(kLeecher).peer_id_offset, 0u);
  EXPECT_EQ(list.Span(kLeecher).entry_size, PeerFamily4::kEntrySizeWithoutId);
}

TEST(PeerFamilyTest, TheFirstInsertChoosesTheLayoutAndItStaysUntilTheListEmpties) {
  PeerFamily4 list;
  Add(list, 1, true);
  Add(list, 2, false);  // a block exists: its layout wins
  EXPECT_TRUE(list.keeps_peer_ids());
  ExpectListed(list, 2);
  Remove(list, 1);
  Remove(list, 2);
  Add(list, 3, false);
  EXPECT_FALSE(list.keeps_peer_ids());
}

// Both sizes: sorted (a few peers) and indexed (past kIndexFrom).
TEST(PeerFamilyTest, KeepPeerIdsKeepsEveryPeerWithAZeroIdAndIdsFromThenOn) {
  for (const std::uint32_t peers : {7u, kLarge}) {
    PeerFamily4 list;
    for (std::uint32_t n = 0; n < peers; ++n) Add(list, n, false, n % 3 ? kLeecher : kSeeder);
    const bool indexed = list.indexed();
    const std::size_t bytes_without = list.AllocatedBytes();
    list.KeepPeerIds();
    ASSERT_TRUE(list.keeps_peer_ids()) << peers;
    EXPECT_EQ(list.indexed(), indexed);
    EXPECT_GT(list.AllocatedBytes(), bytes_without);
    EXPECT_EQ(list.Span(kLeecher).peer_id_offset, PeerFamily4::kEntrySizeWithoutId);
    for (std::uint32_t n = 0; n < peers; ++n) {
      const PeerKind kind = n % 3 ? kLeecher : kSeeder;
      const auto position = list.Find(kind, EndpointOf(n));
      ASSERT_TRUE(position.found) << n;
      PeerState expected = StateOf(n);
      expected.peer_id = PeerId();
      EXPECT_EQ(list.StateAt(kind, position.index, kEpoch), expected) << n;
    }
    if (!indexed) {
      EXPECT_TRUE(Ordered(list, kSeeder) && Ordered(list, kLeecher));
    }
    Add(list, peers, false);  // the layout is kept: the id goes in
    EXPECT_EQ(list.StateAt(kLeecher, list.Find(kLeecher, EndpointOf(peers)).index, kEpoch),
              StateOf(peers));
    Remove(list, 1);
    EXPECT_FALSE(list.Find(kLeecher, EndpointOf(1)).found);
    EXPECT_EQ(list.size(), peers);
  }
}

TEST(PeerFamilyTest, KeepPeerIdsLeavesAnEmptyFamilyToItsFirstInsert) {
  PeerFamily4 list;
  list.KeepPeerIds();
  EXPECT_EQ(list.AllocatedBytes(), 0u);
  Add(list, 1, false);
  EXPECT_FALSE(list.keeps_peer_ids());
}

TEST(PeerFamilyTest, ExpiryKeepsALargeFamilyIndexedAndSortsASmallOneAgain) {
  PeerFamily4 list;
  for (std::uint32_t n = 0; n < kLarge; ++n)
    Add(list, (n * 7919) % kLarge, false, n % 2 ? kSeeder : kLeecher);
  ASSERT_TRUE(list.indexed());
  // last_seen is kEpoch + n: the first third goes, the rest stay and must still be found.
  constexpr std::uint32_t kThird = kLarge / 3;
  static_assert(kLarge - kThird >= PeerFamily4::kUnindexBelow);
  EXPECT_EQ(list.EraseSeenAtOrBefore(kEpoch + kThird - 1, kEpoch), kThird);
  EXPECT_TRUE(list.indexed());
  for (std::uint32_t i = 0; i < kLarge; ++i) {
    const std::uint32_t n = (i * 7919) % kLarge;
    const PeerKind kind = i % 2 ? kSeeder : kLeecher;
    EXPECT_EQ(list.Find(kind, EndpointOf(n)).found, n >= kThird) << n;
  }
  // Below kUnindexBelow peers it is sorted again.
  EXPECT_EQ(list.EraseSeenAtOrBefore(kEpoch + kLarge - 101, kEpoch), kLarge - kThird - 100);
  EXPECT_FALSE(list.indexed());
  EXPECT_TRUE(Ordered(list, kSeeder));
  EXPECT_TRUE(Ordered(list, kLeecher));
  EXPECT_EQ(list.size(), 100u);
}

// Half expire at once: the entries close ranks and the block shrinks, so the index must be built
// anew, not carried over from before the entries moved.
TEST(PeerFamilyTest, AnExpiryThatShrinksALargeFamilyLeavesEveryPeerFindable) {
  constexpr std::uint32_t kFrom = PeerFamily4::kIndexFrom;
  for (std::uint32_t total = kFrom; total < kFrom + 400; total += 7) {
    PeerFamily4 list;
    for (std::uint32_t n = 0; n < total; ++n) Add(list, n, true, n % 2 ? kSeeder : kLeecher);
    ASSERT_TRUE(list.indexed());
    const std::uint32_t expired = total / 2;  // last_seen is kEpoch + n
    ASSERT_EQ(list.EraseSeenAtOrBefore(kEpoch + expired - 1, kEpoch), expired);
    ASSERT_TRUE(list.indexed()) << total;
    for (std::uint32_t n = 0; n < total; ++n) {
      const PeerKind kind = n % 2 ? kSeeder : kLeecher;
      ASSERT_EQ(list.Find(kind, EndpointOf(n)).found, n >= expired) << total << " peers, " << n;
    }
  }
}

// Few expire (a tenth): they are erased one by one, each hole filled from its kind's edge.
TEST(PeerFamilyTest, ExpiryOfAFewPeersOfALargeFamilyKeepsEveryOtherPeer) {
  PeerFamily4 list;
  for (std::uint32_t i = 0; i < kLarge; ++i) {
    const std::uint32_t n = (i * 7919) % kLarge;  // the edges hold expired peers too
    Add(list, n, true, n % 3 == 0 ? kSeeder : kLeecher);
  }
  ASSERT_TRUE(list.indexed());
  // last_seen is kEpoch + n: the first tenth goes, a third of them seeders.
  constexpr std::uint32_t kTenth = kLarge / 10;
  EXPECT_EQ(list.EraseSeenAtOrBefore(kEpoch + kTenth - 1, kEpoch), kTenth);
  EXPECT_TRUE(list.indexed());
  EXPECT_EQ(list.size(kSeeder), (kLarge - kTenth) / 3);
  EXPECT_EQ(list.size(kLeecher), (kLarge - kTenth) * 2 / 3);
  for (std::uint32_t n = 0; n < kLarge; ++n) {
    const PeerKind kind = n % 3 == 0 ? kSeeder : kLeecher;
    if (n < kTenth) {
      EXPECT_FALSE(list.Find(kind, EndpointOf(n)).found) << n;
    } else {
      ExpectListed(list, n, kind);
    }
  }
}

TEST(PeerFamilyTest, ExpiryKeepsTheOrderAndGivesMemoryBack) {
  PeerFamily4 list;
  for (std::uint32_t n = 0; n < 2000; ++n) Add(list, n, true);
  const std::size_t full = list.AllocatedBytes();
  // last_seen is kEpoch + n: everything below 1990 goes.
  EXPECT_EQ(list.EraseSeenAtOrBefore(kEpoch + 1989, kEpoch), 1990u);
  EXPECT_EQ(list.size(), 10u);
  EXPECT_TRUE(Ordered(list));
  for (std::uint32_t n = 1990; n < 2000; ++n) ExpectListed(list, n);
  EXPECT_LT(list.AllocatedBytes(), full / 100);
}

TEST(PeerFamilyTest, SeedersAndLeechersShareOneBlockWithoutMixing) {
  PeerFamily4 family;
  // Interleaved inserts: every seeder insert shifts the leechers behind it.
  for (std::uint32_t n = 0; n < 600; ++n) {
    Add(family, (n * 37) % 600, true, n % 3 == 0 ? kSeeder : kLeecher);
  }
  ASSERT_EQ(family.size(kSeeder), 200u);
  ASSERT_EQ(family.size(kLeecher), 400u);
  EXPECT_TRUE(Ordered(family, kSeeder));
  EXPECT_TRUE(Ordered(family, kLeecher));
  std::uint32_t seeders = 0;
  for (std::uint32_t i = 0; i < 600; ++i) {
    const std::uint32_t n = (i * 37) % 600;
    const PeerKind kind = i % 3 == 0 ? kSeeder : kLeecher;
    const PeerKind other = kind == kSeeder ? kLeecher : kSeeder;
    ExpectListed(family, n, kind);
    EXPECT_FALSE(family.Find(other, EndpointOf(n)).found) << n;
    seeders += kind == kSeeder;
  }
  EXPECT_EQ(seeders, 200u);

  // Each kind's span holds exactly its own entries, in its own order.
  for (PeerKind kind : {kSeeder, kLeecher}) {
    const PeerSpan span = family.Span(kind);
    ASSERT_EQ(span.count, family.size(kind));
    for (std::uint32_t i = 0; i < span.count; ++i) {
      const auto endpoint = family.EndpointAt(kind, i);
      EXPECT_TRUE(std::equal(endpoint.begin(), endpoint.end(), span.entries + i * span.entry_size));
    }
  }
}

TEST(PeerFamilyTest, APeerMovesBetweenKindsAndTheBlockFreesWhenBothAreEmpty) {
  PeerFamily4 family;
  for (std::uint32_t n = 0; n < 20; ++n) Add(family, n, false, kLeecher);
  for (std::uint32_t n = 0; n < 20; n += 2) {  // the even ones finish
    Remove(family, n, kLeecher);
    Add(family, n, false, kSeeder);
  }
  EXPECT_EQ(family.size(kSeeder), 10u);
  EXPECT_EQ(family.size(kLeecher), 10u);
  EXPECT_TRUE(Ordered(family, kSeeder));
  EXPECT_TRUE(Ordered(family, kLeecher));
  EXPECT_TRUE(family.Find(kSeeder, EndpointOf(4)).found);
  EXPECT_TRUE(family.Find(kLeecher, EndpointOf(5)).found);
  for (std::uint32_t n = 0; n < 20; ++n) Remove(family, n, n % 2 == 0 ? kSeeder : kLeecher);
  EXPECT_TRUE(family.empty());
  EXPECT_EQ(family.AllocatedBytes(), 0u);
}

TEST(PeerFamilyTest, ExpiryCountsEachKindApart) {
  PeerFamily4 family;
  // last_seen is kEpoch + n; seeders are the multiples of 3.
  for (std::uint32_t n = 0; n < 300; ++n) Add(family, n, true, n % 3 == 0 ? kSeeder : kLeecher);
  EXPECT_EQ(family.EraseSeenAtOrBefore(kEpoch + 149, kEpoch), 150u);
  EXPECT_EQ(family.size(kSeeder), 50u);  // 150, 153, ..., 297
  EXPECT_EQ(family.size(kLeecher), 100u);
  for (std::uint32_t n = 150; n < 300; ++n)
    ExpectListed(family, n, n % 3 == 0 ? kSeeder : kLeecher);
  EXPECT_TRUE(Ordered(family, kSeeder));
  EXPECT_TRUE(Ordered(family, kLeecher));
}

// Peers last seen before or after a range go; the rest keep their state and order, and the
// partial seeds among them are counted. Both sizes: sorted (compacted) and indexed (erased one
// by one when few go, compacted and re-indexed when many do).
TEST(PeerFamilyTest, ErasingThoseSeenOutsideARangeKeepsTheRestAsTheyWere) {
  for (const std::uint32_t peers : {30u, kLarge}) {
    for (const std::uint32_t outside : {peers / 20, peers / 3}) {  // in all, half below
      PeerFamily4 family;
      for (std::uint32_t n = 0; n < peers; ++n) {
        PeerState state = StateOf(n);  // last seen at kEpoch + n
        const PeerKind kind = n % 3 ? kLeecher : kSeeder;
        state.partial_seed = n % 2 == 0;
        family.Insert(kind, family.Find(kind, EndpointOf(n)).index, EndpointOf(n), state, false);
      }
      const std::uint32_t below = outside / 2;
      const std::uint32_t above = outside - below;
      const PeerFamily4::SeenRange kept{kEpoch + below, kEpoch + peers - 1 - above, kEpoch};
      ASSERT_EQ(family.EraseSeenOutside(kept), outside) << peers;
      std::uint32_t partial_seeds = 0;
      for (std::uint32_t n = 0; n < peers; ++n) {
        const PeerKind kind = n % 3 ? kLeecher : kSeeder;
        const auto position = family.Find(kind, EndpointOf(n));
        ASSERT_EQ(position.found, n >= below && n < peers - above) << n;
        if (!position.found) continue;
        PeerState expected = StateOf(n);
        expected.peer_id = PeerId();
        expected.partial_seed = n % 2 == 0 && kind == kLeecher;
        partial_seeds += expected.partial_seed;
        EXPECT_EQ(family.StateAt(kind, position.index, kEpoch), expected) << n;
      }
      EXPECT_EQ(family.partial_seeds(), partial_seeds);
      if (!family.indexed()) {
        EXPECT_TRUE(Ordered(family, kSeeder) && Ordered(family, kLeecher));
      }
    }
  }
}

// The header counts the leechers that are partial seeds through every change of an entry; a
// seeder's partial_seed is not kept.
TEST(PeerFamilyTest, CountsTheLeechersThatArePartialSeeds) {
  PeerFamily4 family;
  PeerState partial = StateOf(0);
  partial.partial_seed = true;
  for (std::uint32_t n = 0; n < 10; ++n) {
    const PeerKind kind = n < 4 ? kSeeder : kLeecher;
    family.Insert(kind, family.Find(kind, EndpointOf(n)).index, EndpointOf(n), partial, false);
  }
  EXPECT_EQ(family.partial_seeds(), 6u);
  EXPECT_FALSE(family.StateAt(kSeeder, 0, kEpoch).partial_seed);
  EXPECT_TRUE(family.StateAt(kLeecher, 0, kEpoch).partial_seed);

  const auto leecher = [&](std::uint32_t n) { return family.Find(kLeecher, EndpointOf(n)).index; };
  family.Set(kLeecher, leecher(4), StateOf(4));  // no longer one
  family.Set(kLeecher, leecher(5), partial);     // still one: counted once
  EXPECT_EQ(family.partial_seeds(), 5u);
  Remove(family, 6);
  Remove(family, 4);  // not one
  EXPECT_EQ(family.partial_seeds(), 4u);
  family.Set(kLeecher, leecher(9), StateOf(9));  // last seen at kEpoch + 9, the rest at kEpoch
  EXPECT_EQ(family.EraseSeenAtOrBefore(kEpoch, kEpoch), 7u);
  EXPECT_EQ(family.size(), 1u);
  EXPECT_EQ(family.partial_seeds(), 0u);
}

// Only a family with a partial seed pays for their count (4 header bytes); a reallocation once
// it has none drops the count again.
// Sorted and indexed alike.
TEST(PeerFamilyTest, OnlyAFamilyWithPartialSeedsPaysForTheirCount) {
  for (const std::uint32_t peers : {5u, kLarge}) {
    PeerFamily4 plain;
    PeerFamily4 partial;
    for (std::uint32_t n = 0; n < peers; ++n) {
      Add(plain, n, true);
      Add(partial, n, true);
    }
    PeerState state = StateOf(2);
    state.partial_seed = true;
    partial.Set(kLeecher, partial.Find(kLeecher, EndpointOf(2)).index, state);
    EXPECT_EQ(partial.partial_seeds(), 1u);
    EXPECT_GT(partial.AllocatedBytes(), plain.AllocatedBytes());
    for (std::uint32_t n = 0; n < peers; ++n) {
      const auto position = partial.Find(kLeecher, EndpointOf(n));
      ASSERT_TRUE(position.found) << n;
      EXPECT_EQ(partial.StateAt(kLeecher, position.index, kEpoch), n == 2 ? state : StateOf(n))
          << n;
    }

    partial.Set(kLeecher, partial.Find(kLeecher, EndpointOf(2)).index, StateOf(2));
    EXPECT_EQ(partial.partial_seeds(), 0u);
    const std::uint32_t grown = peers + peers / 2 + 40;  // growing reallocates
    for (std::uint32_t n = peers; n < grown; ++n) {
      Add(plain, n, true);
      Add(partial, n, true);
    }
    EXPECT_EQ(partial.indexed(), peers >= PeerFamily4::kIndexFrom);
    EXPECT_EQ(partial.AllocatedBytes(), plain.AllocatedBytes()) << peers;
    for (std::uint32_t n = 0; n < grown; ++n) ExpectListed(partial, n);
  }
}

// Expiry's compaction recounts the partial seeds it keeps, sorted and indexed alike.
TEST(PeerFamilyTest, ExpiryKeepsTheCountOfThePartialSeedsItKeeps) {
  for (const std::uint32_t peers : {300u, kLarge}) {
    PeerFamily4 family;
    for (std::uint32_t n = 0; n < peers; ++n) {
      PeerState state = StateOf(n);  // last seen kEpoch + n
      state.partial_seed = n % 3 == 0;
      const PeerKind kind = n % 5 == 0 ? kSeeder : kLeecher;
      family.Insert(kind, family.Find(kind, EndpointOf(n)).index, EndpointOf(n), state, false);
    }
    EXPECT_EQ(family.indexed(), peers >= PeerFamily4::kIndexFrom);
    const auto partial_leechers = [](std::uint32_t from, std::uint32_t to) {
      std::uint32_t count = 0;
      for (std::uint32_t n = from; n < to; ++n) count += n % 3 == 0 && n % 5 != 0;
      return count;
    };
    EXPECT_EQ(family.partial_seeds(), partial_leechers(0, peers));
    // Half expire: the whole family is compacted (not erased one by one).
    EXPECT_EQ(family.EraseSeenAtOrBefore(kEpoch + peers / 2 - 1, kEpoch), peers / 2);
    EXPECT_EQ(family.partial_seeds(), partial_leechers(peers / 2, peers)) << peers;
    for (std::uint32_t n = peers / 2; n < peers; ++n) {
      const PeerKind kind = n % 5 == 0 ? kSeeder : kLeecher;
      const auto position = family.Find(kind, EndpointOf(n));
      ASSERT_TRUE(position.found) << n;
      EXPECT_EQ(family.StateAt(kind, position.index, kEpoch).partial_seed,
                n % 3 == 0 && kind == kLeecher);
    }
  }
}

// Random joins, kind changes, updates, departures and expiries, checked against a map, while the
// family crosses kIndexFrom and kUnindexBelow both ways. The family keeps peer ids from step
// `ids_from` on (KeepPeerIds; 0: from its first insert); before, the map holds zero ids.
// `indexed_then`: whether the family was indexed when it began keeping ids.
void BehaveLikeAMap(int ids_from, bool& indexed_then) {
  PeerFamily4 family;
  std::map<std::uint32_t, std::pair<PeerKind, PeerState>> model;  // peer number -> kind, state
  FastRng rng(7);
  std::uint32_t clock = 0;
  const auto check_all = [&] {
    ASSERT_EQ(family.size(), model.size());
    const auto partial_seeds = std::ranges::count_if(
        model, [](const auto& entry) { return entry.second.second.partial_seed; });
    EXPECT_EQ(family.partial_seeds(), static_cast<std::uint32_t>(partial_seeds));
    std::set<std::uint32_t> seen;
    for (const auto& [n, listed] : model) {
      const PeerKind other = listed.first == kSeeder ? kLeecher : kSeeder;
      const auto position = family.Find(listed.first, EndpointOf(n));
      ASSERT_TRUE(position.found) << n;
      EXPECT_EQ(family.StateAt(listed.first, position.index, kEpoch), listed.second) << n;
      EXPECT_FALSE(family.Find(other, EndpointOf(n)).found) << n;
    }
    for (PeerKind kind : {kSeeder, kLeecher}) {  // each span holds its kind's peers, once each
      const PeerSpan span = family.Span(kind);
      for (std::uint32_t i = 0; i < span.count; ++i) {
        const std::uint8_t* at = span.entries + i * span.entry_size;
        const std::uint32_t n = (at[1] << 16) | (at[2] << 8) | at[3];
        ASSERT_TRUE(model.contains(n) && model.at(n).first == kind) << n;
        EXPECT_TRUE(seen.insert(n).second) << n;
      }
    }
  };
  bool grew_indexed = false;
  bool sorted_again = false;
  // Grow to ~3 times kIndexFrom, then shrink to ~kUnindexBelow / 2, twice.
  constexpr int kScale = PeerFamily4::kIndexFrom / 1024;
  constexpr int kPhase = 15'000 * kScale;
  for (int step = 0; step < 4 * kPhase; ++step) {
    const bool growing = (step / kPhase) % 2 == 0;
    const int range = growing ? 4000 : 150 + 3000 * (kPhase - step % kPhase) / kPhase;
    const std::uint32_t n = rng.Below(range * kScale);
    if (step == ids_from && ids_from > 0) {
      ASSERT_FALSE(family.keeps_peer_ids());
      indexed_then = family.indexed();
      family.KeepPeerIds();
      check_all();
    }
    const bool keep_ids = step >= ids_from;
    const auto it = model.find(n);
    PeerState state = StateOf(n);
    state.last_seen = kEpoch + ++clock;
    if (!keep_ids) state.peer_id = PeerId();
    const PeerKind kind = rng.Below(3) == 0 ? kSeeder : kLeecher;
    state.partial_seed = (n + clock) % 4 == 0 && kind == kLeecher;  // a seeder's would be dropped
    if (it == model.end()) {
      if (!growing && rng.Below(4) != 0) continue;
      Add(family, n, keep_ids, kind);
      family.Set(kind, family.Find(kind, EndpointOf(n)).index, state);
      model[n] = {kind, state};
    } else if (!growing && rng.Below(2) == 0) {
      Remove(family, n, it->second.first);
      model.erase(it);
    } else {  // an update, which may change its kind (as TorrentSwarm does: erase, then insert)
      const PeerKind was = it->second.first;
      if (kind == was) {
        family.Set(kind, family.Find(kind, EndpointOf(n)).index, state);
      } else {
        const auto target = family.Find(kind, EndpointOf(n));
        Remove(family, n, was);
        family.Insert(kind, target.index, EndpointOf(n), state, keep_ids);
      }
      it->second = {kind, state};
    }
    grew_indexed |= family.indexed();
    sorted_again |= grew_indexed && !family.indexed() && !family.empty();
    // Expire what was not seen lately: in the last tenth of the run while growing, in the last
    // twentieth of a phase while shrinking, so that few peers beyond the shrinking range stay.
    if (step % (5000 * kScale) == 5000 * kScale - 1) {
      const UnixSeconds cutoff = kEpoch + clock - (growing ? clock / 10 : kPhase / 20);
      std::erase_if(model,
                    [&](const auto& entry) { return entry.second.second.last_seen <= cutoff; });
      family.EraseSeenAtOrBefore(cutoff, kEpoch);
    }
    if (step % (1000 * kScale) == 1000 * kScale - 1) check_all();
  }
  EXPECT_TRUE(grew_indexed);
  EXPECT_TRUE(sorted_again);
  EXPECT_TRUE(family.keeps_peer_ids());
  check_all();
}

TEST(PeerFamilyTest, BehavesLikeAMapOfEndpointsThroughEveryLayout) {
  bool indexed_then = false;
  BehaveLikeAMap(0, indexed_then);
}

TEST(PeerFamilyTest, BehavesLikeAMapWhenIdsAreKeptFromWhileItIsSorted) {
  bool indexed_then = true;
  BehaveLikeAMap(300 * (PeerFamily4::kIndexFrom / 1024), indexed_then);
  EXPECT_FALSE(indexed_then);
}

TEST(PeerFamilyTest, BehavesLikeAMapWhenIdsAreKeptFromWhileItIsIndexed) {
  bool indexed_then = false;
  BehaveLikeAMap(10'000 * (PeerFamily4::kIndexFrom / 1024), indexed_then);
  EXPECT_TRUE(indexed_then);
}

}  // namespace
}  // namespace shardtrack

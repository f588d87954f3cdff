// PeerList: packed, endpoint-ordered peer entries with or without peer ids, whose block grows
// and shrinks with hysteresis.
#include "shard/peer_list.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

namespace shardtrack {
namespace {

PeerList4::Endpoint EndpointOf(std::uint32_t n) {
  // 10.x.y.z, port 6881 + n % 7: distinct for every n.
  return {10,
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n),
          static_cast<std::uint8_t>((6881 + n % 7) >> 8),
          static_cast<std::uint8_t>((6881 + n % 7) & 0xff)};
}

PeerState StateOf(std::uint32_t n) {
  PeerState state;
  state.peer_id.bytes.fill(static_cast<std::uint8_t>(n));
  state.peer_id.bytes[0] = static_cast<std::uint8_t>(n >> 8);
  state.last_seen = 1'700'000'000 + n;
  state.completed = n % 3 == 0;
  return state;
}

void Add(PeerList4& list, std::uint32_t n, bool keep_peer_ids) {
  const auto position = list.Find(EndpointOf(n));
  ASSERT_FALSE(position.found) << n;
  list.Insert(position.index, EndpointOf(n), StateOf(n), keep_peer_ids);
}

void Remove(PeerList4& list, std::uint32_t n) {
  const auto position = list.Find(EndpointOf(n));
  ASSERT_TRUE(position.found) << n;
  list.Erase(position.index);
}

// Every entry is in strictly increasing endpoint order.
bool Ordered(const PeerList4& list) {
  for (std::uint32_t i = 1; i < list.size(); ++i) {
    if (!(list.EndpointAt(i - 1) < list.EndpointAt(i))) return false;
  }
  return true;
}

TEST(PeerListTest, GrowsToThousandsAndShrinksBackKeepingEveryPeerFindableAndInOrder) {
  constexpr std::uint32_t kPeers = 5000;
  PeerList4 list;
  // An order that is not the endpoint order: a stride coprime with kPeers.
  for (std::uint32_t i = 0; i < kPeers; ++i) Add(list, (i * 7919) % kPeers, true);
  ASSERT_EQ(list.size(), kPeers);
  EXPECT_TRUE(Ordered(list));
  for (std::uint32_t n = 0; n < kPeers; ++n) {
    const auto position = list.Find(EndpointOf(n));
    ASSERT_TRUE(position.found) << n;
    EXPECT_EQ(list.StateAt(position.index), StateOf(n)) << n;
  }
  const std::size_t full = list.AllocatedBytes();

  for (std::uint32_t n = 0; n < kPeers; n += 2) Remove(list, n);  // the even ones go
  for (std::uint32_t n = 0; n < kPeers - 100; ++n) {
    if (n % 2 == 1) Remove(list, n);
  }
  ASSERT_EQ(list.size(), 50u);
  EXPECT_TRUE(Ordered(list));
  for (std::uint32_t n = kPeers - 99; n < kPeers; n += 2) {
    const auto position = list.Find(EndpointOf(n));
    ASSERT_TRUE(position.found) << n;
    EXPECT_EQ(list.StateAt(position.index), StateOf(n));
  }
  EXPECT_LT(list.AllocatedBytes(), full / 50);
  for (std::uint32_t n = kPeers - 99; n < kPeers; n += 2) Remove(list, n);
  EXPECT_TRUE(list.empty());
  EXPECT_EQ(list.AllocatedBytes(), 0u);
}

TEST(PeerListTest, BigListGrowsByAboutAQuarter) {
  PeerList4 list;
  for (std::uint32_t n = 0; n < 10000; ++n) Add(list, n, true);
  EXPECT_GE(list.capacity(), list.size());
  EXPECT_LE(list.capacity(), list.size() + list.size() / 4 + 1);
}

TEST(PeerListTest, SmallListsFillTheirMallocChunkAndNoMore) {
  for (bool ids : {false, true}) {
    PeerList4 list;
    const std::size_t entry = ids ? PeerList4::kEntrySizeWithId : PeerList4::kEntrySizeWithoutId;
    for (std::uint32_t n = 0; n < 12; ++n) {
      Add(list, n, ids);
      // The block plus malloc's 8 bytes is less than one 16-byte granule and one entry
      // beyond the entries in use (32 bytes at least).
      const std::size_t used = 8 + list.size() * entry;
      EXPECT_LT(list.AllocatedBytes(), std::max<std::size_t>(used + entry + 16, 32)) << n;
    }
  }
}

TEST(PeerListTest, OscillatingAroundACapacityDoesNotReallocate) {
  PeerList4 list;
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

TEST(PeerListTest, ListWithoutIdsKeepsEverythingButTheId) {
  PeerList4 list;
  Add(list, 5, false);
  Add(list, 3, false);
  EXPECT_FALSE(list.keeps_peer_ids());
  const auto position = list.Find(EndpointOf(5));
  ASSERT_TRUE(position.found);
  PeerState expected = StateOf(5);
  expected.peer_id = PeerId();
  EXPECT_EQ(list.StateAt(position.index), expected);
  EXPECT_EQ(list.Span().peer_id_offset, 0u);
  EXPECT_EQ(list.Span().entry_size, PeerList4::kEntrySizeWithoutId);
}

TEST(PeerListTest, TheFirstInsertChoosesTheLayoutAndItStaysUntilTheListEmpties) {
  PeerList4 list;
  Add(list, 1, true);
  Add(list, 2, false);  // a block exists: its layout wins
  EXPECT_TRUE(list.keeps_peer_ids());
  EXPECT_EQ(list.StateAt(list.Find(EndpointOf(2)).index), StateOf(2));
  Remove(list, 1);
  Remove(list, 2);
  Add(list, 3, false);
  EXPECT_FALSE(list.keeps_peer_ids());
}

TEST(PeerListTest, ExpiryKeepsTheOrderAndGivesMemoryBack) {
  PeerList4 list;
  for (std::uint32_t n = 0; n < 2000; ++n) Add(list, n, true);
  const std::size_t full = list.AllocatedBytes();
  // last_seen is 1'700'000'000 + n: everything below 1990 goes.
  EXPECT_EQ(list.EraseSeenAtOrBefore(1'700'000'000 + 1989), 1990u);
  EXPECT_EQ(list.size(), 10u);
  EXPECT_TRUE(Ordered(list));
  for (std::uint32_t n = 1990; n < 2000; ++n) EXPECT_TRUE(list.Find(EndpointOf(n)).found);
  EXPECT_LT(list.AllocatedBytes(), full / 100);
}

}  // namespace
}  // namespace shardtrack

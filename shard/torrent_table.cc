#include "shard/torrent_table.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace shardtrack {
namespace {

constexpr std::size_t kMinHomeCapacity = 4;  // per segment
constexpr std::size_t kTail = 2;             // free slots past the last home, so runs need not wrap

// The `bits` bits of the order key's hash after the segment's (zeros past its end, which no
// segment of fewer than 2^(32 - kSegmentBits) homes reaches): monotonic in the order.
std::size_t HomeOf(std::uint32_t hash, std::size_t bits) {
  return static_cast<std::size_t>((std::uint64_t{hash} << (32 + TorrentTable::kSegmentBits)) >>
                                  (64 - bits));
}

}  // namespace

TorrentTable::TorrentTable(const SipHashKey& key) : secret_(key) {
  for (Segment& segment : segments_) segment.Rehash(kMinHomeCapacity, kTail);
}

TorrentTable::OrderKey TorrentTable::KeyOf(const InfoHash& info_hash) const {
  const auto top = static_cast<std::uint32_t>(SipHash24(secret_, info_hash.view()) >> 32);
  return {top | 1, info_hash};  // never 0: that marks a free slot
}

std::size_t TorrentTable::Find(const InfoHash& info_hash) const {
  const OrderKey key = KeyOf(info_hash);
  const std::size_t segment = SegmentOf(key);
  const std::size_t at = segments_[segment].Seek(key);
  return segments_[segment].Holds(at, key) ? IndexOf(segment, at) : end();
}

std::size_t TorrentTable::FindOrInsert(const InfoHash& info_hash) {
  const OrderKey key = KeyOf(info_hash);
  const std::size_t segment = SegmentOf(key);
  Segment& home = segments_[segment];
  const std::size_t at = home.Seek(key);
  if (home.Holds(at, key)) return IndexOf(segment, at);
  ++size_;
  return IndexOf(segment, home.Insert(key, at));
}

void TorrentTable::Erase(std::size_t index) {
  segments_[index >> kSlotBits].Erase(SlotOf(index));
  --size_;
}

std::size_t TorrentTable::LowerBound(const InfoHash& info_hash) const {
  // Slots before the home hold smaller keys; a used slot after a free one past the home has a
  // later home, so a greater key; later segments hold greater keys.
  const OrderKey key = KeyOf(info_hash);
  const std::size_t segment = SegmentOf(key);
  return Next(IndexOf(segment, segments_[segment].Seek(key)));
}

std::size_t TorrentTable::Next(std::size_t index) const {
  for (std::size_t segment = index >> kSlotBits, slot = SlotOf(index); segment < kSegments;
       ++segment, slot = 0) {
    const std::vector<Slot>& slots = segments_[segment].slots;
    for (; slot < slots.size(); ++slot) {
      if (slots[slot].used()) return IndexOf(segment, slot);
    }
  }
  return end();
}

std::size_t TorrentTable::AllocatedBytes() const {
  std::size_t slots = 0;
  for (const Segment& segment : segments_) slots += segment.slots.capacity();
  return slots * sizeof(Slot);
}

std::size_t TorrentTable::Segment::Home(const OrderKey& key) const {
  return HomeOf(key.hash, home_bits);
}

std::size_t TorrentTable::Segment::Seek(const OrderKey& key) const {
  std::size_t at = Home(key);
  while (at < slots.size() && slots[at].used() && slots[at].key() < key) ++at;
  return at;
}

void TorrentTable::Segment::Rehash(std::size_t home_capacity, std::size_t spare_tail) {
  const auto bits = static_cast<std::size_t>(std::countr_zero(home_capacity));
  // Used slots are in order, so each goes to its home or just after the one placed before it.
  auto place = [&](auto&& visit) {
    std::size_t next_free = 0;
    for (Slot& slot : slots) {
      if (!slot.used()) continue;
      const std::size_t at = std::max(HomeOf(slot.hash, bits), next_free);
      visit(slot, at);
      next_free = at + 1;
    }
    return next_free;
  };
  const std::size_t run_end = place([](Slot&, std::size_t) {});
  std::vector<Slot> fresh(std::max(home_capacity, run_end) + spare_tail);
  place([&](Slot& slot, std::size_t at) { fresh[at] = std::move(slot); });
  slots = std::move(fresh);
  home_bits = bits;
}

std::size_t TorrentTable::Segment::Insert(const OrderKey& key, std::size_t at) {
  const std::size_t home_capacity = std::size_t{1} << home_bits;
  if (size + 1 > home_capacity * 7 / 8) {
    Rehash(2 * home_capacity, kTail);
    return Insert(key, Seek(key));
  }
  std::size_t hole = at;
  while (hole < slots.size() && slots[hole].used()) ++hole;
  if (hole == slots.size()) {  // the run reaches the end: only with crowded prefixes
    Rehash(home_capacity, std::max(kTail, size / 8));
    return Insert(key, Seek(key));
  }
  // Shift the rest of the run up one slot; `at` keeps the order.
  for (std::size_t i = hole; i > at; --i) slots[i] = std::move(slots[i - 1]);
  slots[at].hash = key.hash;
  slots[at].info_hash = key.info_hash;
  slots[at].swarm = TorrentSwarm();
  ++size;
  return at;
}

void TorrentTable::Segment::Erase(std::size_t index) {
  // Shift back the slots after it that are not at their home, so no run has a hole.
  std::size_t at = index;
  while (at + 1 < slots.size() && slots[at + 1].used() && Home(slots[at + 1].key()) <= at) {
    slots[at] = std::move(slots[at + 1]);
    ++at;
  }
  slots[at] = Slot();
  --size;
  const std::size_t home_capacity = std::size_t{1} << home_bits;
  if (home_capacity > kMinHomeCapacity && size < home_capacity / 8) {
    Rehash(home_capacity / 2, kTail);
  }
}

}  // namespace shardtrack

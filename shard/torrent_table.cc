#include "shard/torrent_table.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/scaled_fraction.h"

namespace shardtrack {
namespace {

constexpr std::size_t kMinHomeCapacity = 4;  // per segment

// Free slots past the last home, so runs need not wrap: a 64th of the homes, at 7/8 load enough
// that the last run seldom reaches the end (which costs a rebuild at the same capacity).
std::size_t TailFor(std::size_t home_capacity) {
  return std::max<std::size_t>(2, home_capacity / 64);
}

// The order key's hash bits after the segment's, read as a fraction of the segment, scaled to
// its `home_capacity` homes: monotonic in the order, and any capacity will do, so a segment can
// grow by a quarter instead of doubling (a doubled table is half empty just after).
std::size_t HomeOf(std::uint32_t hash, std::size_t home_capacity) {
  return ScaledFraction(hash << TorrentTable::kSegmentBits, home_capacity);
}

}  // namespace

TorrentTable::TorrentTable(const SipHashKey& key) : secret_(key) {
  for (Segment& segment : segments_) segment.Rehash(kMinHomeCapacity);
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
  const std::size_t slot = home.Insert(key, at);
  ++size_;
  return IndexOf(segment, slot);
}

void TorrentTable::Erase(std::size_t index) {
  --size_;  // first: the segment's shrink after the erase may throw
  segments_[index >> kSlotBits].Erase(SlotOf(index));
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
    const SlotArray& slots = segments_[segment].slots;
    for (; slot < slots.size(); ++slot) {
      if (slots[slot].used()) return IndexOf(segment, slot);
    }
  }
  return end();
}

std::size_t TorrentTable::AllocatedBytes() const {
  std::size_t bytes = 0;
  for (const Segment& segment : segments_) {
    bytes += segment.slots.BytesHeld();
  }
  return bytes;
}

std::size_t TorrentTable::Segment::Home(const OrderKey& key) const {
  return HomeOf(key.hash, home_capacity);
}

std::size_t TorrentTable::Segment::Seek(const OrderKey& key) const {
  std::size_t at = Home(key);
  while (at < slots.size() && slots[at].used() && slots[at].key() < key) ++at;
  return at;
}

void TorrentTable::Segment::Rehash(std::size_t capacity, std::size_t spare_tail) {
  spare_tail = std::max(spare_tail, TailFor(capacity));
  // Used slots are in order, so each goes to its home or just after the one placed before it.
  struct Move {
    std::uint32_t from;
    std::uint32_t to;
  };
  std::vector<Move> moves;
  moves.reserve(size);
  std::size_t next_free = 0;
  for (std::size_t from = 0; from < slots.size(); ++from) {
    if (!slots[from].used()) continue;
    const std::size_t to = std::max(HomeOf(slots[from].hash, capacity), next_free);
    moves.push_back({static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to)});
    next_free = to + 1;
  }
  // The slots move in place. With more homes no slot's place goes down, so they move from the
  // last; with fewer none goes up, so from the first: either way onto a slot already vacated.
  const std::size_t wanted = std::max(capacity, next_free) + spare_tail;
  if (wanted > slots.size()) slots.Resize(wanted);
  auto move = [this](const Move& step) {
    if (step.from == step.to) return;
    slots[step.to] = std::move(slots[step.from]);
    slots[step.from] = Slot();
  };
  if (capacity >= home_capacity) {
    std::for_each(moves.rbegin(), moves.rend(), move);
  } else {
    std::for_each(moves.begin(), moves.end(), move);
  }
  if (wanted < slots.size()) slots.Resize(wanted);
  home_capacity = capacity;
}

std::size_t TorrentTable::Segment::Insert(const OrderKey& key, std::size_t at) {
  if (size + 1 > home_capacity * 7 / 8) {
    Rehash(home_capacity + home_capacity / 4);
    return Insert(key, Seek(key));
  }
  std::size_t hole = at;
  while (hole < slots.size() && slots[hole].used()) ++hole;
  if (hole == slots.size()) {  // the run reaches the end: seldom, unless prefixes crowd
    Rehash(home_capacity, size / 8);
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
  if (home_capacity > kMinHomeCapacity && size < home_capacity / 8) {
    Rehash(std::max(kMinHomeCapacity, home_capacity / 2));
  }
}

}  // namespace shardtrack

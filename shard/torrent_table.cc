#include "shard/torrent_table.h"

#include <algorithm>
#include <bit>
#include <utility>

namespace shardtrack {
namespace {

constexpr std::size_t kMinHomeCapacity = 16;
constexpr std::size_t kTail = 16;  // free slots past the last home, so runs need not wrap

// The top `bits` bits of the order key's hash: monotonic in the order.
std::size_t HomeOf(std::uint64_t hash, std::size_t bits) {
  return static_cast<std::size_t>(hash >> (64 - bits));
}

}  // namespace

TorrentTable::TorrentTable(const SipHashKey& key) : secret_(key) {
  Rehash(kMinHomeCapacity, kTail);
}

TorrentTable::OrderKey TorrentTable::KeyOf(const InfoHash& info_hash) const {
  return {SipHash24(secret_, info_hash.view()), info_hash};
}

std::size_t TorrentTable::Home(const OrderKey& key) const { return HomeOf(key.hash, home_bits_); }

std::size_t TorrentTable::Seek(const OrderKey& key) const {
  std::size_t at = Home(key);
  while (at < end() && slots_[at].used && slots_[at].key() < key) ++at;
  return at;
}

void TorrentTable::Rehash(std::size_t home_capacity, std::size_t spare_tail) {
  const auto bits = static_cast<std::size_t>(std::countr_zero(home_capacity));
  // Used slots are in order, so each goes to its home or just after the one placed before it.
  auto place = [&](auto&& visit) {
    std::size_t next_free = 0;
    for (Slot& slot : slots_) {
      if (!slot.used) continue;
      const std::size_t at = std::max(HomeOf(slot.hash, bits), next_free);
      visit(slot, at);
      next_free = at + 1;
    }
    return next_free;
  };
  const std::size_t run_end = place([](Slot&, std::size_t) {});
  std::vector<Slot> fresh(std::max(home_capacity, run_end) + spare_tail);
  place([&](Slot& slot, std::size_t at) { fresh[at] = std::move(slot); });
  slots_ = std::move(fresh);
  home_bits_ = bits;
}

std::size_t TorrentTable::Find(const InfoHash& info_hash) const {
  const OrderKey key = KeyOf(info_hash);
  const std::size_t at = Seek(key);
  if (at < end() && slots_[at].used && slots_[at].key() == key) return at;
  return end();
}

std::size_t TorrentTable::FindOrInsert(const InfoHash& info_hash) {
  const OrderKey key = KeyOf(info_hash);
  const std::size_t at = Seek(key);
  if (at < end() && slots_[at].used && slots_[at].key() == key) return at;

  const std::size_t home_capacity = std::size_t{1} << home_bits_;
  if (size_ + 1 > home_capacity / 8 * 7) {
    Rehash(2 * home_capacity, kTail);
    return FindOrInsert(info_hash);
  }
  std::size_t hole = at;
  while (hole < end() && slots_[hole].used) ++hole;
  if (hole == end()) {  // the run reaches the end: only with crowded prefixes
    Rehash(home_capacity, std::max(kTail, size_ / 8));
    return FindOrInsert(info_hash);
  }
  // Shift the rest of the run up one slot; `at` keeps the order.
  for (std::size_t i = hole; i > at; --i) slots_[i] = std::move(slots_[i - 1]);
  slots_[at].hash = key.hash;
  slots_[at].info_hash = key.info_hash;
  slots_[at].used = true;
  slots_[at].swarm = TorrentSwarm();
  ++size_;
  return at;
}

void TorrentTable::Erase(std::size_t index) {
  // Shift back the slots after it that are not at their home, so no run has a hole.
  std::size_t at = index;
  while (at + 1 < end() && slots_[at + 1].used && Home(slots_[at + 1].key()) <= at) {
    slots_[at] = std::move(slots_[at + 1]);
    ++at;
  }
  slots_[at] = Slot();
  --size_;
  const std::size_t home_capacity = std::size_t{1} << home_bits_;
  if (home_capacity > kMinHomeCapacity && size_ < home_capacity / 8) {
    Rehash(home_capacity / 2, kTail);
  }
}

std::size_t TorrentTable::LowerBound(const InfoHash& info_hash) const {
  // Slots before the home hold smaller keys; a used slot after a free one past the home has a
  // later home, so a greater key.
  return Next(Seek(KeyOf(info_hash)));
}

std::size_t TorrentTable::Next(std::size_t index) const {
  while (index < end() && !slots_[index].used) ++index;
  return index;
}

}  // namespace shardtrack

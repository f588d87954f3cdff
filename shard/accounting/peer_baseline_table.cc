#include "shard/accounting/peer_baseline_table.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace shardtrack {
namespace {

constexpr std::size_t kMinSlots = 16;
constexpr std::uint8_t kMaxProbe = 255;  // a distance of 254

// At most 7/8 full (see the header).
constexpr std::size_t MaxEntries(std::size_t slots) { return slots - slots / 8; }

}  // namespace

PeerBaselineTable::PackedKey PeerBaselineTable::Pack(const Key& key) {
  PackedKey packed{};
  std::memcpy(packed.data(), key.info_hash.bytes.data(), InfoHash::kSize);
  std::uint8_t* address = packed.data() + InfoHash::kSize;
  const std::array<std::uint8_t, 16> ip = key.ip.As16();
  std::memcpy(address, ip.data(), ip.size());
  std::memcpy(address + ip.size(), &key.port, sizeof(key.port));
  return packed;
}

PeerBaselineTable::Key PeerBaselineTable::KeyOf(const Slot& slot) {
  Key key;
  std::memcpy(key.info_hash.bytes.data(), slot.key.data(), InfoHash::kSize);
  const char* address = reinterpret_cast<const char*>(slot.key.data()) + InfoHash::kSize;
  key.ip = *IpAddress::FromRaw(std::string_view(address, 16));  // maps ::ffff:a.b.c.d back
  std::memcpy(&key.port, address + 16, sizeof(key.port));
  return key;
}

PeerBaselineTable::Baseline PeerBaselineTable::BaselineOf(const Slot& slot) {
  return {slot.uploaded, slot.downloaded, slot.last_seen, slot.seeder};
}

std::uint64_t PeerBaselineTable::Hash(const PackedKey& key) const {
  return SipHash24(key_, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::size_t PeerBaselineTable::Home(std::uint64_t hash) const {
  // The hash's top 32 bits scaled to the slot count (below 2^32: 256 GB of slots).
  return static_cast<std::size_t>(((hash >> 32) * slots_.size()) >> 32);
}

std::size_t PeerBaselineTable::Next(std::size_t position) const {
  return position + 1 == slots_.size() ? 0 : position + 1;
}

std::size_t PeerBaselineTable::FindPacked(const PackedKey& key, std::uint64_t hash) const {
  if (slots_.empty()) return kAbsent;
  std::size_t position = Home(hash);
  for (unsigned probe = 1;; ++probe, position = Next(position)) {
    const Slot& slot = slots_[position];
    if (slot.probe < probe) return kAbsent;  // empty, or an entry homed after the key's home
    if (slot.key == key) return position;
  }
}

std::size_t PeerBaselineTable::Find(const Key& key) const {
  const PackedKey packed = Pack(key);
  return FindPacked(packed, Hash(packed));
}

PeerBaselineTable::Baseline PeerBaselineTable::At(std::size_t position) const {
  return BaselineOf(slots_[position]);
}

void PeerBaselineTable::Replace(std::size_t position, const Baseline& baseline) {
  Slot& slot = slots_[position];
  slot.uploaded = baseline.uploaded;
  slot.downloaded = baseline.downloaded;
  slot.last_seen = baseline.last_seen;
  slot.seeder = baseline.seeder;
}

void PeerBaselineTable::EraseAt(std::size_t position) {
  // Backward shift: the entries behind, up to an empty slot or one at its home, move back one.
  for (std::size_t next = Next(position); slots_[next].probe > 1; next = Next(next)) {
    slots_[position] = slots_[next];
    --slots_[position].probe;
    position = next;
  }
  slots_[position] = Slot{};
  --size_;
}

bool PeerBaselineTable::Erase(const Key& key) {
  const std::size_t position = Find(key);
  if (position == kAbsent) return false;
  EraseAt(position);
  return true;
}

void PeerBaselineTable::Put(const Key& key, const Baseline& baseline) {
  const PackedKey packed = Pack(key);
  const std::uint64_t hash = Hash(packed);
  if (const std::size_t found = FindPacked(packed, hash); found != kAbsent) {
    Replace(found, baseline);
    return;
  }
  if (size_ + 1 > MaxEntries(slots_.size())) Grow();
  Slot entry{baseline.uploaded, baseline.downloaded, baseline.last_seen, packed, 0,
             baseline.seeder};
  while (!Insert(entry, hash)) Grow();
}

bool PeerBaselineTable::Insert(const Slot& entry, std::uint64_t hash) {
  // The entry goes before the first one nearer its home than the entry would be (Robin Hood);
  // that one and the run behind it up to an empty slot move on by one.
  std::size_t position = Home(hash);
  unsigned probe = 1;
  for (; slots_[position].probe >= probe; ++probe, position = Next(position)) {
    if (probe == kMaxProbe) return false;
  }
  std::size_t end = position;
  for (; slots_[end].probe != 0; end = Next(end)) {
    if (slots_[end].probe == kMaxProbe) return false;
  }
  for (std::size_t to = end; to != position;) {
    const std::size_t from = to == 0 ? slots_.size() - 1 : to - 1;
    slots_[to] = slots_[from];
    ++slots_[to].probe;
    to = from;
  }
  slots_[position] = entry;
  slots_[position].probe = static_cast<std::uint8_t>(probe);
  ++size_;
  return true;
}

void PeerBaselineTable::Grow() { Resize(std::max(kMinSlots, slots_.size() + slots_.size() / 4)); }

void PeerBaselineTable::ShrinkIfSparse() {
  if (slots_.size() <= kMinSlots || size_ >= slots_.size() / 4) return;
  Resize(std::max(kMinSlots, size_ + size_ * 2 / 3 + 1));  // three fifths full
}

void PeerBaselineTable::Resize(std::size_t count) {
  const std::size_t old_count = slots_.size();
  std::vector<Slot> old = std::move(slots_);
  while (!Rehash(old, count)) count += count / 2;
  // The table is in hash order at any size: the cursor keeps its place in the lap.
  if (old_count != 0) cursor_ = cursor_ * slots_.size() / old_count;
}

bool PeerBaselineTable::Rehash(const std::vector<Slot>& old, std::size_t count) {
  slots_.assign(count, Slot{});
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.probe != 0 && !Insert(slot, Hash(slot.key))) return false;
  }
  return true;
}

std::size_t PeerBaselineTable::ExpireSlice(UnixSeconds cutoff, std::size_t slots) {
  std::size_t removed = 0;
  for (std::size_t examined = 0; examined < std::min(slots, slots_.size()); ++examined) {
    while (slots_[cursor_].probe != 0 && slots_[cursor_].last_seen <= cutoff) {
      EraseAt(cursor_);
      ++removed;
    }
    cursor_ = Next(cursor_);
  }
  ShrinkIfSparse();
  return removed;
}

}  // namespace shardtrack

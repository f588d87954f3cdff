#include "shard/accounting/peer_baseline_table.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "common/scaled_fraction.h"

namespace shardtrack {
namespace {

constexpr std::size_t kMinSlots = 8;
constexpr std::uint8_t kMaxProbe = 255;  // a distance of 254

// At most 7/8 full (see the header).
constexpr std::size_t MaxEntries(std::size_t slots) { return slots - slots / 8; }

}  // namespace

PeerBaselineTable::PackedKey PeerBaselineTable::Pack(const Key& key) {
  PackedKey packed{};
  std::memcpy(packed.data(), key.info_hash.bytes.data(), InfoHash::kSize);
  std::memcpy(packed.data() + InfoHash::kSize, &key.client, sizeof(key.client));
  return packed;
}

PeerBaselineTable::Key PeerBaselineTable::KeyOf(const Slot& slot) {
  Key key;
  std::memcpy(key.info_hash.bytes.data(), slot.key.data(), InfoHash::kSize);
  std::memcpy(&key.client, slot.key.data() + InfoHash::kSize, sizeof(key.client));
  return key;
}

PeerBaselineTable::Baseline PeerBaselineTable::BaselineOf(const Slot& slot) {
  return {slot.uploaded,  slot.downloaded, slot.last_seen, slot.seeder,
          slot.completed, slot.owner,      slot.ipv6};
}

std::uint64_t PeerBaselineTable::Hash(const PackedKey& key) const {
  return SipHash24(key_, std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

const PeerBaselineTable::Slot& PeerBaselineTable::SlotAt(std::size_t position) const {
  return segments_[position >> kSlotBits].slots[SlotOf(position)];
}

PeerBaselineTable::Slot& PeerBaselineTable::SlotAt(std::size_t position) {
  return segments_[position >> kSlotBits].slots[SlotOf(position)];
}

std::size_t PeerBaselineTable::Segment::Home(std::uint64_t hash) const {
  // The 32 bits after the segment's, scaled to the slot count (below 2^32: 256 GB of slots).
  return ScaledFraction(static_cast<std::uint32_t>(hash >> (32 - kSegmentBits)), slots.size());
}

std::size_t PeerBaselineTable::Segment::Find(const PackedKey& key, std::uint64_t hash) const {
  if (slots.empty()) return kAbsent;
  std::size_t slot = Home(hash);
  for (unsigned probe = 1;; ++probe, slot = Next(slot)) {
    if (slots[slot].probe < probe) return kAbsent;  // empty, or an entry homed after the key's
    if (slots[slot].key == key) return slot;
  }
}

bool PeerBaselineTable::Segment::Insert(const Slot& entry, std::uint64_t hash) {
  // The entry goes before the first one nearer its home than the entry would be (Robin Hood);
  // that one and the run behind it up to an empty slot move on by one.
  std::size_t slot = Home(hash);
  unsigned probe = 1;
  for (; slots[slot].probe >= probe; ++probe, slot = Next(slot)) {
    if (probe == kMaxProbe) return false;
  }
  std::size_t end = slot;
  for (; slots[end].probe != 0; end = Next(end)) {
    if (slots[end].probe == kMaxProbe) return false;
  }
  for (std::size_t to = end; to != slot;) {
    const std::size_t from = to == 0 ? slots.size() - 1 : to - 1;
    slots[to] = slots[from];
    ++slots[to].probe;
    to = from;
  }
  slots[slot] = entry;
  slots[slot].probe = static_cast<std::uint8_t>(probe);
  ++size;
  return true;
}

void PeerBaselineTable::Segment::EraseAt(std::size_t slot) {
  // Backward shift: the entries behind, up to an empty slot or one at its home, move back one.
  for (std::size_t next = Next(slot); slots[next].probe > 1; next = Next(next)) {
    slots[slot] = slots[next];
    --slots[slot].probe;
    slot = next;
  }
  slots[slot] = Slot{};
  --size;
}

std::size_t PeerBaselineTable::Find(const Key& key) const {
  const PackedKey packed = Pack(key);
  const std::uint64_t hash = Hash(packed);
  const std::size_t segment = SegmentOf(hash);
  const std::size_t slot = segments_[segment].Find(packed, hash);
  return slot == kAbsent ? kAbsent : PositionOf(segment, slot);
}

void PeerBaselineTable::Replace(std::size_t position, const Baseline& baseline) {
  Slot& slot = SlotAt(position);
  slot.uploaded = baseline.uploaded;
  slot.downloaded = baseline.downloaded;
  slot.last_seen = baseline.last_seen;
  slot.seeder = baseline.seeder;
  slot.completed = baseline.completed;
  slot.ipv6 = baseline.ipv6;
}

void PeerBaselineTable::EraseAt(std::size_t position) {
  Release(SlotAt(position).owner);
  segments_[position >> kSlotBits].EraseAt(SlotOf(position));
  --size_;
}

std::array<std::size_t, 2> PeerBaselineTable::BucketsOf(std::uint64_t owner) {
  return {owner % kOwnerBuckets, kOwnerBuckets + (owner / kOwnerBuckets) % kOwnerBuckets};
}

std::size_t PeerBaselineTable::CountOf(std::uint64_t owner) const {
  if (owned_.empty()) return 0;
  const auto [first, second] = BucketsOf(owner);
  return std::min(owned_[first], owned_[second]);
}

void PeerBaselineTable::Release(std::uint64_t owner) {
  for (std::size_t bucket : BucketsOf(owner)) --owned_[bucket];
}

void PeerBaselineTable::Put(const Key& key, const Baseline& baseline) {
  const PackedKey packed = Pack(key);
  const std::uint64_t hash = Hash(packed);
  const std::size_t index = SegmentOf(hash);
  Segment& segment = segments_[index];
  if (const std::size_t found = segment.Find(packed, hash); found != kAbsent) {
    Replace(PositionOf(index, found), baseline);
    return;
  }
  if (segment.size + 1 > MaxEntries(segment.slots.size())) Grow(index);
  const Slot entry{
      baseline.uploaded, baseline.downloaded, baseline.last_seen, baseline.owner, packed, 0,
      baseline.seeder,   baseline.completed,  baseline.ipv6};
  while (!segment.Insert(entry, hash)) Grow(index);
  ++size_;
  if (owned_.empty()) owned_.assign(2 * kOwnerBuckets, 0);
  for (std::size_t bucket : BucketsOf(baseline.owner)) ++owned_[bucket];
}

void PeerBaselineTable::Grow(std::size_t segment) {
  const std::size_t slots = segments_[segment].slots.size();
  Resize(segment, std::max(kMinSlots, slots + slots / 4));
}

void PeerBaselineTable::ShrinkIfSparse(std::size_t index) {
  const Segment& segment = segments_[index];
  if (segment.slots.empty() || segment.size >= segment.slots.size() / 4) return;
  if (segment.size == 0) {
    Resize(index, 0);
  } else if (segment.slots.size() > kMinSlots) {
    Resize(index, std::max(kMinSlots, segment.size + segment.size * 2 / 3 + 1));  // 3/5 full
  }
}

void PeerBaselineTable::Resize(std::size_t index, std::size_t count) {
  Segment& segment = segments_[index];
  const std::size_t old_count = segment.slots.size();
  std::vector<Slot> old = std::move(segment.slots);
  while (!Rehash(segment, old, count)) count += count / 2;
  slot_count_ = slot_count_ - old_count + segment.slots.size();
}

bool PeerBaselineTable::Rehash(Segment& segment, const std::vector<Slot>& old,
                               std::size_t count) const {
  segment.slots.assign(count, Slot{});
  segment.size = 0;
  for (const Slot& slot : old) {
    if (slot.probe != 0 && !segment.Insert(slot, Hash(slot.key))) return false;
  }
  return true;
}

template <typename Released>
std::size_t PeerBaselineTable::Segment::EraseSeenBy(UnixSeconds cutoff, Released released) {
  // An erasure shifts the entries behind back by one, into the slot just examined (which is
  // examined again) or, past the end, into slot 0 onwards, which were examined already.
  const std::size_t before = size;
  for (std::size_t slot = 0; slot < slots.size(); ++slot) {
    while (slots[slot].probe != 0 && slots[slot].last_seen <= cutoff) {
      released(slots[slot].owner);
      EraseAt(slot);
    }
  }
  return before - size;
}

std::size_t PeerBaselineTable::ExpireSlice(UnixSeconds cutoff, std::size_t slices_per_lap) {
  const std::size_t slices = std::max<std::size_t>(slices_per_lap, 1);
  const std::size_t count = (kSegments + slices - 1) / slices;
  std::size_t removed = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t erased = segments_[next_expiring_].EraseSeenBy(
        cutoff, [this](std::uint64_t owner) { Release(owner); });
    size_ -= erased;
    removed += erased;
    ShrinkIfSparse(next_expiring_);
    next_expiring_ = (next_expiring_ + 1) % kSegments;
  }
  return removed;
}

}  // namespace shardtrack

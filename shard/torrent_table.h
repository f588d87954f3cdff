// TorrentTable: a shard's torrents, InfoHash -> TorrentSwarm, in flat arrays of 48-byte slots
// (a std::map node per torrent cost ~112 bytes). Open addressing with linear probing, and a home
// slot that grows with the torrent's order key: 32 bits of a keyed hash (SipHash under a
// secret) of its infohash, then the infohash. The key's top bits pick one of kSegments segments,
// each its own table whose home is the next bits scaled to its capacity. Since homes are monotonic
// and a run never wraps (a segment has a tail past its last home), the used slots are always in
// key order: lookups stop at the first greater key, iteration is ordered, and an insert shifts the
// rest of its run one slot up, an erase shifts it back (no tombstones). A segment adds a quarter
// to its homes above 7/8 load (doubled, it would be half empty just after) and halves them below
// 1/8 (never under 4), rebuilding its array in place (common/mapped_array.h: from a page, a
// mapping of its own that mremap resizes, so no resize leaves a hole in the heap). Homes stay
// distinct up to 8M a segment (the hash's 23 bits left). Segments resize on their own, so a
// resize moves a 256th of the torrents: one table of 4M slots took 0.9 s to double, a pause no
// request should wait through. Not more segments: each array fills its last page.
// Indices are invalidated by FindOrInsert and Erase (which may resize); keys are not, so a caller
// that must resume (expiry) keeps an infohash and asks LowerBound. The key is secret because
// clients choose infohashes: ordered by the infohash itself, crafted infohashes sharing a prefix
// would pile into one run and make every insert cost its length. Owns its swarms. Pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/mapped_array.h"
#include "common/siphash.h"
#include "shard/torrent_swarm.h"

namespace shardtrack {

class TorrentTable {
 public:
  static constexpr std::size_t kSegmentBits = 8;
  static constexpr std::size_t kSegments = std::size_t{1} << kSegmentBits;

  // `key`: the order key's secret; a process passes RandomSipHashKey().
  explicit TorrentTable(const SipHashKey& key);

  std::size_t size() const { return size_; }
  // What Find, LowerBound and Next return for "none". An index names a segment and a slot in it.
  std::size_t end() const { return kEnd; }

  std::size_t Find(const InfoHash& info_hash) const;
  // The index of `info_hash`, added with an empty swarm if absent.
  std::size_t FindOrInsert(const InfoHash& info_hash);
  void Erase(std::size_t index);

  // The first torrent at or after `info_hash`'s place in the order (it need not be present).
  std::size_t LowerBound(const InfoHash& info_hash) const;
  std::size_t Begin() const { return Next(0); }
  // The first used slot at or after `index` (index + 1 of a used one steps past it).
  std::size_t Next(std::size_t index) const;

  const InfoHash& KeyAt(std::size_t index) const { return SlotAt(index).info_hash; }
  TorrentSwarm& SwarmAt(std::size_t index) { return SlotAt(index).swarm; }
  const TorrentSwarm& SwarmAt(std::size_t index) const { return SlotAt(index).swarm; }

  // Calls visit(info_hash, swarm) for every torrent, in table order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    ForEachWhile([&](const InfoHash& info_hash, const TorrentSwarm& swarm) {
      visit(info_hash, swarm);
      return true;
    });
  }
  // The same, stopping once `visit` returns false.
  template <typename Visit>
  void ForEachWhile(Visit&& visit) const {
    for (const Segment& segment : segments_) {
      for (const Slot& slot : segment.slots) {
        if (slot.used() && !visit(slot.info_hash, slot.swarm)) return;
      }
    }
  }

  // Bytes of the slot arrays, mapped ones in whole pages (not the swarms' peer lists).
  std::size_t AllocatedBytes() const;

 private:
  static constexpr std::size_t kSlotBits = 40;  // an index is segment << kSlotBits | slot
  static constexpr std::size_t kEnd = kSegments << kSlotBits;

  // Where a torrent sits in the order: its keyed hash, then (for the few torrents whose 32 bits
  // collide) its infohash. The hash is never 0, which marks a free slot.
  struct OrderKey {
    std::uint32_t hash = 0;
    InfoHash info_hash;
    auto operator<=>(const OrderKey&) const = default;
  };
  struct Slot {  // 4 + 20 + 24 bytes
    std::uint32_t hash = 0;
    InfoHash info_hash;
    TorrentSwarm swarm;

    bool used() const { return hash != 0; }
    OrderKey key() const { return {hash, info_hash}; }
  };
  // A member that is not movable by its bytes would be corrupted at the first resize.
  static_assert(sizeof(Slot) == 48, "is every new member of a slot movable by its bytes?");
  using SlotArray = MappedArray<Slot>;
  struct Segment {
    SlotArray slots;
    std::size_t home_capacity = 0;
    std::size_t size = 0;

    std::size_t Home(const OrderKey& key) const;
    // The first slot of `key`'s run that does not sort before `key`.
    std::size_t Seek(const OrderKey& key) const;
    // Seek's answer `at` holds `key` itself.
    bool Holds(std::size_t at, const OrderKey& key) const {
      return at < slots.size() && slots[at].used() && slots[at].key() == key;
    }
    // Rebuilds with `capacity` homes and free slots after the last run: at least `spare_tail`,
    // and at least the usual tail.
    void Rehash(std::size_t capacity, std::size_t spare_tail = 0);
    // Inserts `key` at `at` (Seek's answer), resizing first if it must; returns its slot.
    std::size_t Insert(const OrderKey& key, std::size_t at);
    void Erase(std::size_t at);
  };

  static std::size_t SegmentOf(const OrderKey& key) { return key.hash >> (32 - kSegmentBits); }
  static std::size_t IndexOf(std::size_t segment, std::size_t slot) {
    return segment << kSlotBits | slot;
  }
  Slot& SlotAt(std::size_t index) { return segments_[index >> kSlotBits].slots[SlotOf(index)]; }
  const Slot& SlotAt(std::size_t index) const {
    return segments_[index >> kSlotBits].slots[SlotOf(index)];
  }
  static std::size_t SlotOf(std::size_t index) {
    return index & ((std::size_t{1} << kSlotBits) - 1);
  }
  OrderKey KeyOf(const InfoHash& info_hash) const;

  SipHashKey secret_;
  std::array<Segment, kSegments> segments_;
  std::size_t size_ = 0;
};

}  // namespace shardtrack

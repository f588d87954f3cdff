// PeerBaselineTable: the accounting's baselines (where each member's client's counters stood at
// its last announce to a torrent), keyed by torrent and client (TransferLedger's keyed hash of
// the passkey and peer id), in flat open-addressing tables. Why flat: a
// node-based map spent ~124 bytes and two cache misses per peer; here a peer is one 64-byte slot
// (one cache line), at a load of 0.70 to 7/8: 73 to 91 bytes per peer.
// - The hash is keyed SipHash: clients choose infohashes, so they cannot aim entries at one run
//   of slots.
// - The hash's top bits pick one of kSegments segments, each its own table that grows and
//   shrinks alone, so growth moves a 256th of the peers (one table of a million took ~120 ms to
//   grow: a pause on the shard's loop). The next 32 bits pick the home slot by scaling (bits *
//   slots / 2^32), so a segment's slot count need not be a power of two (growth by 1.25, not 2)
//   and the whole table stays in hash order.
// - Robin Hood linear probing: a lookup stops at the first entry nearer its home than the key
//   would be, so misses cost about what hits do. Erasure shifts the run behind back by one
//   (no tombstones), so a segment never fills with dead slots.
// - A segment grows by a quarter when it would be more than 7/8 full: a hit then reads 4.5
//   adjacent slots on average (2.2 just after growth), still fewer misses than the map's two.
//   It also grows if an entry would lie more than 254 slots from its home (the distance is one
//   byte; with a keyed hash, never seen). An expiry slice that leaves a segment under a quarter
//   full shrinks it the same way. A small table is sparser: a segment has at least 8 slots.
// Positions are valid until the next Put, EraseAt or ExpireSlice. Pure; one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/siphash.h"

namespace shardtrack {

class PeerBaselineTable {
 public:
  struct Key {
    InfoHash info_hash;
    std::uint64_t client = 0;
    bool operator==(const Key&) const = default;
  };
  struct Baseline {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    UnixSeconds last_seen = 0;
    bool seeder = false;
    bool completed = false;   // a completion was credited
    std::uint64_t owner = 0;  // counted by CountOf; the same for every baseline of a key
    bool ipv6 = false;        // the address family of the announce that set it
    bool operator==(const Baseline&) const = default;
  };
  static constexpr std::size_t kSegmentBits = 8;
  static constexpr std::size_t kSegments = std::size_t{1} << kSegmentBits;
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

  explicit PeerBaselineTable(SipHashKey key) : key_(key) {}

  std::size_t size() const { return size_; }
  // The baselines whose owner is `owner`, or more when both its buckets hold others': owners
  // (keyed hashes) are counted twice, in two rows of kOwnerBuckets buckets (by bits 0-15 and by
  // bits 16-31), a fixed 512 KB with nothing to rehash on the loop however many owners come, and
  // the count is the smaller bucket. One owner with many baselines fills both of another's one
  // time in 4 billion: a member making up clients does not fill the others' bound.
  static constexpr std::size_t kOwnerBuckets = std::size_t{1} << 16;
  std::size_t CountOf(std::uint64_t owner) const;
  std::size_t slot_count() const { return slot_count_; }

  // The position of `key`'s baseline, or kAbsent.
  std::size_t Find(const Key& key) const;
  Baseline At(std::size_t position) const { return BaselineOf(SlotAt(position)); }
  void Replace(std::size_t position, const Baseline& baseline);
  void EraseAt(std::size_t position);
  // Adds `key`'s baseline, or replaces the one it has.
  void Put(const Key& key, const Baseline& baseline);

  // Erases the baselines last seen at or before `cutoff` in the next whole segments, as many as
  // make `slices_per_lap` calls go round the table (1: all of it); returns how many. A segment
  // is examined at once, so growth or erasures between two calls cannot hide an entry from it.
  std::size_t ExpireSlice(UnixSeconds cutoff, std::size_t slices_per_lap);

  // Calls visit(key, baseline) for every entry, in hash order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Segment& segment : segments_) {
      for (const Slot& slot : segment.slots) {
        if (slot.probe != 0) visit(KeyOf(slot), BaselineOf(slot));
      }
    }
  }

 private:
  // Torrent (20 bytes) and client (8): one block to hash and compare.
  using PackedKey = std::array<std::uint8_t, 28>;
  struct alignas(64) Slot {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    UnixSeconds last_seen = 0;
    std::uint64_t owner = 0;
    PackedKey key{};
    std::uint8_t probe = 0;  // 0: empty; else 1 + the distance from the home slot
    bool seeder = false;
    bool completed = false;
    bool ipv6 = false;
  };
  static_assert(sizeof(Slot) == 64);

  struct Segment {
    std::vector<Slot> slots;
    std::size_t size = 0;

    std::size_t Home(std::uint64_t hash) const;
    std::size_t Next(std::size_t slot) const { return slot + 1 == slots.size() ? 0 : slot + 1; }
    std::size_t Find(const PackedKey& key, std::uint64_t hash) const;  // a slot, or kAbsent
    bool Insert(const Slot& entry, std::uint64_t hash);  // false: a distance would overflow
    void EraseAt(std::size_t slot);
    // Returns how many; each erased entry's owner goes to `released`.
    template <typename Released>
    std::size_t EraseSeenBy(UnixSeconds cutoff, Released released);
  };

  // A position is a segment and a slot in it.
  static constexpr std::size_t kSlotBits = 40;
  static std::size_t SegmentOf(std::uint64_t hash) { return hash >> (64 - kSegmentBits); }
  static std::size_t PositionOf(std::size_t segment, std::size_t slot) {
    return segment << kSlotBits | slot;
  }
  static std::size_t SlotOf(std::size_t position) {
    return position & ((std::size_t{1} << kSlotBits) - 1);
  }
  const Slot& SlotAt(std::size_t position) const;
  Slot& SlotAt(std::size_t position);

  static PackedKey Pack(const Key& key);
  static Key KeyOf(const Slot& slot);
  static Baseline BaselineOf(const Slot& slot);
  std::uint64_t Hash(const PackedKey& key) const;
  void Grow(std::size_t segment);
  // After expiry: a segment under a quarter full (a peak of peers gone) is made three fifths
  // full (or freed when empty), so its memory follows the peers down as well as up.
  void ShrinkIfSparse(std::size_t segment);
  void Resize(std::size_t segment, std::size_t count);
  bool Rehash(Segment& segment, const std::vector<Slot>& old, std::size_t count) const;

  void Release(std::uint64_t owner);
  // `owner`'s bucket in each row of owned_.
  static std::array<std::size_t, 2> BucketsOf(std::uint64_t owner);

  SipHashKey key_;
  std::array<Segment, kSegments> segments_;
  std::vector<std::uint32_t> owned_;  // CountOf's two rows of buckets, from the first Put
  std::size_t size_ = 0;
  std::size_t slot_count_ = 0;
  std::size_t next_expiring_ = 0;  // the segment ExpireSlice examines next
};

}  // namespace shardtrack

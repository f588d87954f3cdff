// PeerBaselineTable: the accounting's baselines (where each peer's counters stood at its last
// announce), keyed by torrent, address and port, in one flat open-addressing table. Why flat: a
// node-based map spent ~124 bytes and two cache misses per peer; here a peer is one 64-byte slot
// (one cache line) in one vector, at a load of 0.70 to 7/8: 73 to 91 bytes per peer.
// - The hash is keyed SipHash: clients choose infohashes, addresses and ports, so they cannot
//   aim entries at one run of slots.
// - A hash picks its home slot by scaling (its top 32 bits * slots / 2^32), so the slot count
//   need not be a power of two (growth by 1.25, not 2) and the table stays in hash order.
// - Robin Hood linear probing: a lookup stops at the first entry nearer its home than the key
//   would be, so misses cost about what hits do. Erasure shifts the run behind back by one
//   (no tombstones), so the table never fills with dead slots.
// - Grows by a quarter when it would be more than 7/8 full: a hit then reads 4.5 adjacent slots
//   on average (2.2 just after growth), still fewer misses than the map's two. Also grows if an
//   entry would lie more than 254 slots from its home (the distance is one byte; with a keyed
//   hash, never seen). Growth rehashes everything at once (about 100 ms at a million, as the
//   map's did); an expiry slice that leaves it under a quarter full shrinks it the same way.
// Positions (slot indices) are valid until the next Put, Erase or EraseAt. Pure; one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "common/siphash.h"

namespace shardtrack {

class PeerBaselineTable {
 public:
  struct Key {
    InfoHash info_hash;
    IpAddress ip;
    std::uint16_t port = 0;
    bool operator==(const Key&) const = default;
  };
  struct Baseline {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    UnixSeconds last_seen = 0;
    bool seeder = false;
    bool operator==(const Baseline&) const = default;
  };
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

  explicit PeerBaselineTable(SipHashKey key) : key_(key) {}

  std::size_t size() const { return size_; }
  std::size_t slot_count() const { return slots_.size(); }

  // The position of `key`'s baseline, or kAbsent.
  std::size_t Find(const Key& key) const;
  Baseline At(std::size_t position) const;
  void Replace(std::size_t position, const Baseline& baseline);
  void EraseAt(std::size_t position);
  // Adds `key`'s baseline, or replaces the one it has.
  void Put(const Key& key, const Baseline& baseline);
  bool Erase(const Key& key);

  // Erases the baselines last seen at or before `cutoff` among the next `slots` slots, going
  // round the table slice by slice; returns how many. An erasure shifts the next entry into the
  // slot just examined, which is looked at again. Entries an insertion, an erasure or growth
  // between two slices moves across the cursor are examined one lap early or late, never lost.
  std::size_t ExpireSlice(UnixSeconds cutoff, std::size_t slots);

  // Calls visit(key, baseline) for every entry, in slot order.
  template <typename Visit>
  void ForEach(Visit visit) const {
    for (const Slot& slot : slots_) {
      if (slot.probe != 0) visit(KeyOf(slot), BaselineOf(slot));
    }
  }

 private:
  // Torrent (20 bytes), address (16, IPv4 as ::ffff:a.b.c.d, which an IpAddress never holds as
  // IPv6) and port: one block to hash and compare.
  using PackedKey = std::array<std::uint8_t, 38>;
  struct alignas(64) Slot {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    UnixSeconds last_seen = 0;
    PackedKey key{};
    std::uint8_t probe = 0;  // 0: empty; else 1 + the distance from the home slot
    bool seeder = false;
  };
  static_assert(sizeof(Slot) == 64);

  static PackedKey Pack(const Key& key);
  static Key KeyOf(const Slot& slot);
  static Baseline BaselineOf(const Slot& slot);
  std::uint64_t Hash(const PackedKey& key) const;
  std::size_t Home(std::uint64_t hash) const;
  std::size_t Next(std::size_t position) const;
  std::size_t FindPacked(const PackedKey& key, std::uint64_t hash) const;
  bool Insert(const Slot& entry, std::uint64_t hash);  // false: a distance would overflow
  void Grow();
  // After expiry: a table under a quarter full (a peak of peers gone) is made three fifths
  // full, so its memory follows the peers down as well as up.
  void ShrinkIfSparse();
  void Resize(std::size_t count);
  bool Rehash(const std::vector<Slot>& old, std::size_t count);  // false: Insert failed

  SipHashKey key_;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::size_t cursor_ = 0;  // the next slot ExpireSlice examines
};

}  // namespace shardtrack

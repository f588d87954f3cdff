// TorrentTable: a shard's torrents, InfoHash -> TorrentSwarm, in one flat vector of 64-byte slots
// (a std::map node per torrent cost ~112 bytes). Open addressing with linear probing, and a home
// slot that grows with the torrent's order key: a keyed hash (SipHash under a secret) of its
// infohash, whose top bits are the home. Since homes are monotonic and a run never wraps (the
// vector has a tail past the last home), the used slots are always in key order: lookups stop at
// the first greater key, iteration is ordered, and an insert shifts the rest of its run one slot
// up, an erase shifts it back (no tombstones). The home capacity is a power of two, doubled above
// 7/8 load and halved below 1/8. Indices are invalidated by FindOrInsert and Erase (which may
// rehash); keys are not, so a caller that must resume (expiry) keeps an infohash and asks
// LowerBound. The key is secret because clients choose infohashes: ordered by the infohash
// itself, crafted infohashes sharing a prefix would pile into one run and make every insert cost
// its length. Owns its swarms. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/siphash.h"
#include "shard/torrent_swarm.h"

namespace shardtrack {

class TorrentTable {
 public:
  // `key`: the order key's secret; a process passes RandomSipHashKey().
  explicit TorrentTable(const SipHashKey& key);

  std::size_t size() const { return size_; }
  // One past the last slot: what Find, LowerBound and Next return for "none".
  std::size_t end() const { return slots_.size(); }

  std::size_t Find(const InfoHash& info_hash) const;
  // The index of `info_hash`, added with an empty swarm if absent.
  std::size_t FindOrInsert(const InfoHash& info_hash);
  void Erase(std::size_t index);

  // The first torrent at or after `info_hash`'s place in the order (it need not be present).
  std::size_t LowerBound(const InfoHash& info_hash) const;
  std::size_t Begin() const { return Next(0); }
  // The first used slot at or after `index`.
  std::size_t Next(std::size_t index) const;

  const InfoHash& KeyAt(std::size_t index) const { return slots_[index].info_hash; }
  TorrentSwarm& SwarmAt(std::size_t index) { return slots_[index].swarm; }
  const TorrentSwarm& SwarmAt(std::size_t index) const { return slots_[index].swarm; }

  // Calls visit(info_hash, swarm) for every torrent, in table order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    for (const Slot& slot : slots_) {
      if (slot.used) visit(slot.info_hash, slot.swarm);
    }
  }

  // Heap bytes of the slot vector (not the swarms' peer lists).
  std::size_t AllocatedBytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  // Where a torrent sits in the order: its keyed hash, then (never in practice) its infohash.
  struct OrderKey {
    std::uint64_t hash = 0;
    InfoHash info_hash;
    auto operator<=>(const OrderKey&) const = default;
  };
  struct Slot {  // the order key's two fields apart, so `used` fills padding: 64 bytes
    std::uint64_t hash = 0;
    InfoHash info_hash;
    bool used = false;
    TorrentSwarm swarm;

    OrderKey key() const { return {hash, info_hash}; }
  };

  OrderKey KeyOf(const InfoHash& info_hash) const;
  std::size_t Home(const OrderKey& key) const;
  // The first slot of `key`'s run that does not sort before `key`.
  std::size_t Seek(const OrderKey& key) const;
  // Rebuilds with `home_capacity` homes and at least `spare_tail` free slots after the last run.
  void Rehash(std::size_t home_capacity, std::size_t spare_tail);

  SipHashKey secret_;
  std::vector<Slot> slots_;
  std::size_t home_bits_ = 0;  // home capacity = 2^home_bits_
  std::size_t size_ = 0;
};

}  // namespace shardtrack

// PeerFamily<A>: one swarm's peers of one address family (A = 4 or 16 address bytes), seeders
// and leechers, packed for memory in a single heap block: a 12-byte header, the seeders from the
// front, the leechers at the back and the spare capacity between them, each kind sorted by
// endpoint so a peer is found by binary search. An insert or erase moves only entries of its own
// kind, as with a block per kind; one block per family saves a block header, malloc's chunk
// header and its rounding on every torrent with both kinds (4 bytes per peer at 10 a torrent).
// A large family (kIndexFrom peers) stops sorting: its block also holds an index by endpoint
// (shard/endpoint_slots.h, under a random key of its own; 3-3.75 bytes a peer just after a
// growth while the capacity is at most 65,535, then 4.5-5.6 up to 16,777,215; up to twice that
// before a shrink), a new peer joins at the edge of its kind and a leaving one's
// place is taken by that edge entry, so no insert or erase moves more than one entry (sorted, a
// new peer in a swarm of a million moved ~15 MB).
// Expiry sorts it again once it is back under kUnindexBelow peers. An entry is the endpoint in
// compact wire form (address, port, network order), 3 bytes holding last_seen's low 22 bits
// (shard/seen_time.h: read back against a reference time the owner passes) and two flags, and,
// if the family keeps peer ids, the 20-byte peer id: 9 or 29 bytes for IPv4, 21 or 41 for IPv6. A
// family with partial seeds (BEP 21) counts them in 4 more header bytes, so that a scrape's
// `downloaders` walks no swarm and the rest pay nothing. Whether ids are kept is a bit of the
// header, chosen by the Insert that allocates the block or turned on later by KeepPeerIds; a family
// without ids reports all-zero ids. Capacity fills the malloc chunk and grows by about 1.25x; it
// shrinks only once half of it is unused (hysteresis). An empty family holds no block. Indices are
// per kind. Owns its block; move-only. Pure but for that random key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/siphash.h"
#include "shard/peer_selection.h"

namespace shardtrack {

// What a swarm remembers about a peer besides its endpoint.
struct PeerState {
  PeerId peer_id;  // all zeros when the family keeps no ids
  // Kept as its low 22 bits: read back exactly within kSeenTimeReach of the reference.
  UnixSeconds last_seen = 0;
  bool completed = false;  // its completion was counted
  // BEP 21: an incomplete peer that wants nothing more. Kept for leechers only: a seeder's is
  // read back false.
  bool partial_seed = false;

  bool operator==(const PeerState&) const = default;
};

enum class PeerKind : std::uint8_t { kSeeder, kLeecher };

template <std::size_t kAddressSize>
class PeerFamily {
 public:
  static constexpr std::size_t kEndpointSize = kAddressSize + 2;
  static constexpr std::size_t kEntrySizeWithoutId = kEndpointSize + 3;
  static constexpr std::size_t kEntrySizeWithId = kEntrySizeWithoutId + PeerId::kSize;
  // Sorted, at 8,000 peers a found peer costs ~0.2 us more than indexed (235-250 against 45-58
  // ns) and a join with a departure 0.6 us more (1.5 with peer ids), about 1% of a request's CPU;
  // the index costs 3-4 bytes every peer, a quarter of its memory (docs/benchmarks.md).
  static constexpr std::uint32_t kIndexFrom = 8192;
  static constexpr std::uint32_t kUnindexBelow = 2048;
  // Later than any time a swarm keeps, for a SeenRange open at the top.
  static constexpr UnixSeconds kNoLastSeen = INT64_MAX;
  using Endpoint = std::array<std::uint8_t, kEndpointSize>;

  // Where `endpoint` is (found) or would be inserted to keep its kind's order (not found; an
  // indexed family ignores that index).
  struct Position {
    std::uint32_t index = 0;
    bool found = false;
  };

  std::uint32_t size(PeerKind kind) const;
  std::uint32_t size() const;           // both kinds
  std::uint32_t partial_seeds() const;  // leechers with PeerState::partial_seed
  bool empty() const { return size() == 0; }
  bool keeps_peer_ids() const;
  bool indexed() const;            // by endpoint instead of sorted
  std::uint32_t capacity() const;  // entries of both kinds the block holds

  // Where `endpoint` is in each kind (it is found in at most one).
  struct Listing {
    Position as_seeder;
    Position as_leecher;
  };

  Position Find(PeerKind kind, const Endpoint& endpoint) const;
  // Both kinds at once: an indexed family looks the endpoint up once, not once per kind.
  Listing Locate(const Endpoint& endpoint) const;
  // `index` must come from Find(kind, ...) on the current contents, with found == false.
  // `keep_peer_ids` only matters when the family is empty: it chooses the new block's layout.
  // Returns the index the peer landed at.
  std::uint32_t Insert(PeerKind kind, std::uint32_t index, const Endpoint& endpoint,
                       const PeerState& state, bool keep_peer_ids);
  // From now on entries carry peer ids; the peers already here get all-zero ids ("not known").
  // Nothing changes for an empty family (Insert chooses) or one that keeps ids already.
  void KeepPeerIds();
  // Keeps an indexed family indexed (so a Position found before stays usable for the other
  // kind); expiry decides when it sorts again.
  void Erase(PeerKind kind, std::uint32_t index);
  void Set(PeerKind kind, std::uint32_t index, const PeerState& state);

  Endpoint EndpointAt(PeerKind kind, std::uint32_t index) const;
  // last_seen read back against `reference` (shard/seen_time.h).
  PeerState StateAt(PeerKind kind, std::uint32_t index, UnixSeconds reference) const;

  // The last_seen times a family keeps, read against `reference`: from `first` to `last`.
  struct SeenRange {
    UnixSeconds first = 0;
    UnixSeconds last = 0;
    UnixSeconds reference = 0;
  };
  // Removes every peer last seen outside `kept`, keeping each kind's order. Returns how many. An
  // indexed family left with fewer than kUnindexBelow peers is sorted again.
  std::uint32_t EraseSeenOutside(const SeenRange& kept);
  // Expiry: removes every peer with last_seen <= cutoff (read against `reference`).
  std::uint32_t EraseSeenAtOrBefore(UnixSeconds cutoff, UnixSeconds reference) {
    return EraseSeenOutside({cutoff + 1, kNoLastSeen, reference});
  }

  // A view of one kind for peer selection that leaves out the entry at `skip` (kNoSkip: none).
  PeerSpan Span(PeerKind kind, std::uint32_t skip = PeerSpan::kNoSkip) const;
  // The leechers' view that also leaves out the partial seeds (BEP 21): the downloaders. Only
  // while they are at most a quarter of the leechers: they are found by drawing, and where most
  // were partial seeds (as anyone announcing many paused endpoints could make them), each draw
  // would mostly miss, so they are then all given, as before BEP 21 was heeded.
  PeerSpan Downloaders(std::uint32_t skip = PeerSpan::kNoSkip) const;

  // Heap bytes requested for the block (for memory accounting; malloc adds ~8 per block).
  std::size_t AllocatedBytes() const;

 private:
  // u32 seeders, u32 leechers, u32 capacity whose top bit says "entries carry a peer id", the
  // next "indexed" and the next "a partial-seed count follows" (a u32: the header is then 16
  // bytes). Whichever family has a partial seed counts them; a reallocation drops a count of 0.
  // An indexed block ends with its index's SipHash key and its slots, right after the entries.
  static constexpr std::size_t kHeaderSize = 12;
  // Where an entry's last_seen and flags (3 bytes, little-endian: the time in the low 22 bits,
  // the flags in the top two), the byte with the flags, and the peer id start.
  static constexpr std::size_t kLastSeenAt = kEndpointSize;
  static constexpr std::size_t kFlagsAt = kLastSeenAt + 2;
  static constexpr std::size_t kPeerIdAt = kLastSeenAt + 3;
  static_assert(kPeerIdAt == kEntrySizeWithoutId);
  static constexpr std::size_t HeaderSize(bool counts_partial_seeds) {
    return kHeaderSize + (counts_partial_seeds ? 4 : 0);
  }

  std::size_t entry_size() const;
  bool counts_partial_seeds() const;
  std::size_t header_size() const;
  // Where the first entry of `kind` sits in the block, counted in entries.
  std::uint32_t first(PeerKind kind) const;
  std::uint8_t* entry(std::uint32_t position) const;
  void SetSize(PeerKind kind, std::uint32_t size);
  void SetPartialSeeds(std::uint32_t count);
  // Writes `state` into the entry at `position` (a partial seed only as a leecher). Returns
  // whether it is stored as a partial seed; the caller keeps the header's count.
  bool WriteState(PeerKind kind, std::uint32_t position, const PeerState& state);
  bool PartialSeedAt(std::uint32_t position) const;
  // Moves the entries to a block sized for at least `wanted` entries (0: frees the block),
  // indexed or sorted, with or without peer ids, with or without a partial-seed count (without:
  // the family must have none). An indexed block's index is carried over when its capacity
  // stays and `index_current` (false after entries moved without it, as expiry's compaction does).
  void Reallocate(std::uint32_t wanted, bool keep_peer_ids, bool indexed, bool index_current,
                  bool count_partial_seeds);
  // After removals: gives memory back once half the capacity is unused, and sorts a small
  // indexed family again if `may_unindex`. Returns whether the block changed (its index is then
  // right, whatever `index_current` said).
  bool MaybeShrink(bool may_unindex, bool index_current);
  // Calls `use` with the indexed block's index (shard/endpoint_slots.h) over absolute entry
  // positions, its slots as narrow as the capacity allows.
  template <class Use>
  decltype(auto) WithIndex(Use use) const;
  SipHashKey IndexKey() const;
  void CarryIndexTo(std::uint8_t* block, std::size_t header) const;
  void RebuildIndex();
  void SortKind(PeerKind kind);
  bool SeenOutside(PeerKind kind, std::uint32_t index, const SeenRange& kept) const;
  // Whether fewer than an eighth of the peers were last seen outside `kept`.
  bool ErasingFew(const SeenRange& kept) const;
  // EraseSeenOutside through Erase, for an indexed family losing few peers: no index rebuild.
  std::uint32_t EraseEachSeenOutside(const SeenRange& kept);

  std::unique_ptr<std::uint8_t[]> block_;
};

extern template class PeerFamily<4>;
extern template class PeerFamily<16>;

using PeerFamily4 = PeerFamily<4>;
using PeerFamily6 = PeerFamily<16>;

}  // namespace shardtrack

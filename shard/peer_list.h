// PeerList<A>: one swarm's peers of one address family (A = 4 or 16 address bytes) and one kind
// (seeders or leechers), packed for memory: a single heap block holding an 8-byte header and the
// entries sorted by endpoint, so a peer is found by binary search. An entry is the endpoint in
// compact wire form (address, port, network order), last_seen as 32-bit Unix seconds, a flags
// byte and, if the list keeps peer ids, the 20-byte peer id: 11 or 31 bytes for IPv4, 23 or 43
// for IPv6. Whether ids are kept is a bit of the header, chosen by the Insert that allocates the
// block; a list without ids reports all-zero ids. Capacity fills the malloc chunk and grows by
// about 1.25x; it shrinks only once half of it is unused (hysteresis). An empty list holds no
// block. Owns its block; move-only. Pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "shard/peer_selection.h"

namespace shardtrack {

// What a swarm remembers about a peer besides its endpoint.
struct PeerState {
  PeerId peer_id;             // all zeros when the list keeps no ids
  UnixSeconds last_seen = 0;  // kept as 32 bits: clamped to [0, 2^32 - 1]
  bool completed = false;     // its completion was counted

  bool operator==(const PeerState&) const = default;
};

template <std::size_t kAddressSize>
class PeerList {
 public:
  static constexpr std::size_t kEndpointSize = kAddressSize + 2;
  static constexpr std::size_t kEntrySizeWithoutId = kEndpointSize + 4 + 1;
  static constexpr std::size_t kEntrySizeWithId = kEntrySizeWithoutId + PeerId::kSize;
  using Endpoint = std::array<std::uint8_t, kEndpointSize>;

  // Where `endpoint` is (found) or would be inserted to keep the order (not found).
  struct Position {
    std::uint32_t index = 0;
    bool found = false;
  };

  std::uint32_t size() const;
  bool empty() const { return size() == 0; }
  bool keeps_peer_ids() const;
  std::uint32_t capacity() const;

  Position Find(const Endpoint& endpoint) const;
  // `index` must come from Find on the current contents, with found == false. `keep_peer_ids`
  // only matters when the list is empty: it chooses the layout of the new block.
  void Insert(std::uint32_t index, const Endpoint& endpoint, const PeerState& state,
              bool keep_peer_ids);
  void Erase(std::uint32_t index);
  void Set(std::uint32_t index, const PeerState& state);

  Endpoint EndpointAt(std::uint32_t index) const;
  PeerState StateAt(std::uint32_t index) const;

  // Removes every peer with last_seen <= cutoff, keeping the order. Returns how many.
  std::uint32_t EraseSeenAtOrBefore(UnixSeconds cutoff);

  // A view for peer selection that leaves out the entry at `skip` (kNoSkip: none).
  PeerSpan Span(std::uint32_t skip = PeerSpan::kNoSkip) const;

  // Heap bytes requested for the block (for memory accounting; malloc adds ~8 per block).
  std::size_t AllocatedBytes() const;

 private:
  // u32 size, then u32 capacity whose top bit says "entries carry a peer id".
  static constexpr std::size_t kHeaderSize = 8;

  std::size_t entry_size() const;
  std::uint8_t* entry(std::uint32_t index) const;
  void SetSize(std::uint32_t size);
  // Moves the entries to a block sized for at least `wanted` entries (0: frees the block).
  void Reallocate(std::uint32_t wanted, bool keep_peer_ids);
  // After removals: gives memory back once half the capacity is unused.
  void MaybeShrink();

  std::unique_ptr<std::uint8_t[]> block_;
};

extern template class PeerList<4>;
extern template class PeerList<16>;

using PeerList4 = PeerList<4>;
using PeerList6 = PeerList<16>;

}  // namespace shardtrack

// EndpointSlots: an index from a peer's endpoint (address and port bytes) to its position in an
// array the caller keeps, for swarms too large to scan or to keep sorted. Open addressing with
// linear probing over a slot array the caller owns, of any size below 2^32 (a slot holds
// position + 1; 0 is empty). Homes come from SipHash under the caller's secret, because clients
// choose their ports.
// Removal shifts later slots back instead of leaving tombstones, so lookups stay short however
// many peers come and go. A view: it owns neither the slots nor the peers. Pure.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "common/scaled_fraction.h"
#include "common/siphash.h"
#include "shard/little_endian.h"

namespace shardtrack {

// Slots of kBytes bytes each (2, 3 or 4; little-endian) over bytes the caller owns: an index
// over at most 65,535 positions needs no 4-byte slots, and then costs half.
template <std::size_t kBytes>
class PackedSlots {
 public:
  static_assert(kBytes >= 2 && kBytes <= 4);
  // The largest value a slot holds.
  static constexpr std::uint32_t kMax = static_cast<std::uint32_t>((1ull << (8 * kBytes)) - 1);

  PackedSlots(std::uint8_t* bytes, std::size_t count) : bytes_(bytes), count_(count) {}

  std::size_t size() const { return count_; }
  std::uint32_t operator[](std::size_t slot) const {
    return LoadLittleEndian<kBytes>(bytes_ + slot * kBytes);
  }
  void Set(std::size_t slot, std::uint32_t value) {
    assert(value <= kMax);
    StoreLittleEndian<kBytes>(bytes_ + slot * kBytes, value);
  }
  void Clear() { std::memset(bytes_, 0, count_ * kBytes); }

 private:
  std::uint8_t* bytes_;
  std::size_t count_;
};

// `EndpointAt(position)` yields the endpoint at `position` as an Endpoint: a value that compares
// with == and converts to its bytes (a std::string_view into stable storage, or a small key).
// `Slots` is a PackedSlots.
template <class Slots, class EndpointAt>
class EndpointSlots {
 public:
  using Endpoint = std::invoke_result_t<const EndpointAt&, std::uint32_t>;

  EndpointSlots(Slots slots, const SipHashKey& key, EndpointAt endpoint_at)
      : slots_(slots), key_(key), endpoint_at_(endpoint_at) {}

  // The position of `endpoint`, or `missing` when it has no slot.
  std::uint32_t Find(const Endpoint& endpoint, std::uint32_t missing) const {
    const std::uint32_t held = slots_[SlotOf(endpoint)];
    return held == 0 ? missing : held - 1;
  }

  void Clear() { slots_.Clear(); }
  // Indexes the peer at `position`, whose endpoint must not be indexed yet: it takes the first
  // empty slot from its home without reading the peers it passes (a rebuild's cost is then one
  // hash and mostly one cache miss per peer).
  void Add(std::uint32_t position) {
    std::size_t slot = Home(endpoint_at_(position));
    while (slots_[slot] != 0) slot = Next(slot);
    slots_.Set(slot, position + 1);
  }
  // The peer at `from` is about to move to `to`. Call while it is still at `from`.
  void Move(std::uint32_t from, std::uint32_t to) {
    slots_.Set(SlotOf(endpoint_at_(from)), to + 1);
  }
  // Forgets the peer at `position`. Call while it is still there.
  void Remove(std::uint32_t position) {
    std::size_t hole = SlotOf(endpoint_at_(position));
    for (std::size_t next = Next(hole); slots_[next] != 0; next = Next(next)) {
      const std::size_t home = Home(endpoint_at_(slots_[next] - 1));
      const bool stays =
          hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
      if (stays) continue;
      slots_.Set(hole, slots_[next]);
      hole = next;
    }
    slots_.Set(hole, 0);
  }

 private:
  // The hash's top 32 bits scaled to the slot count, which need not be a power of two.
  std::size_t Home(const Endpoint& endpoint) const {
    const auto top = static_cast<std::uint32_t>(SipHash24(key_, std::string_view(endpoint)) >> 32);
    return ScaledFraction(top, slots_.size());
  }
  std::size_t Next(std::size_t slot) const { return slot + 1 == slots_.size() ? 0 : slot + 1; }
  // The slot that holds `endpoint`'s position, or the empty slot where it would go.
  std::size_t SlotOf(const Endpoint& endpoint) const {
    std::size_t slot = Home(endpoint);
    while (slots_[slot] != 0 && !(endpoint_at_(slots_[slot] - 1) == endpoint)) slot = Next(slot);
    return slot;
  }

  Slots slots_;
  SipHashKey key_;
  EndpointAt endpoint_at_;
};

}  // namespace shardtrack

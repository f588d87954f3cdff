#include "shard/peer_list.h"

#include <algorithm>
#include <cstring>

namespace shardtrack {
namespace {

// Entry layout: [endpoint][last_seen: 4 bytes little-endian][flags][peer id, if kept].
constexpr std::uint8_t kCompletedFlag = 1;

std::uint32_t Load32(const std::uint8_t* from) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | from[i];
  return value;
}

void Store32(std::uint8_t* to, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) to[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::uint32_t ClampSeconds(UnixSeconds seconds) {
  return static_cast<std::uint32_t>(std::clamp<UnixSeconds>(seconds, 0, UINT32_MAX));
}

constexpr std::uint32_t kPeerIdBit = 0x8000'0000;
constexpr std::size_t kHeader = 8;

// The most entries of `entry_size` bytes that fit the malloc chunk a block for `wanted` entries
// gets anyway. glibc rounds a request plus its 8-byte chunk header up to 16 bytes (32 at least),
// so a small list is (nearly) exact and a list never wastes the chunk's rounding. With another
// allocator this is merely at least `wanted`.
std::uint32_t FitCapacity(std::uint32_t wanted, std::size_t entry_size) {
  const std::size_t bytes = kHeader + std::size_t{wanted} * entry_size;
  const std::size_t chunk = std::max<std::size_t>(32, (bytes + 8 + 15) & ~std::size_t{15});
  return static_cast<std::uint32_t>((chunk - 8 - kHeader) / entry_size);
}

// Entries to make room for once `count` fill the list: one more for small lists (the chunk fit
// adds what rounding gives), about 1.25x for big ones.
std::uint32_t GrownTarget(std::uint32_t count) {
  return count + std::max<std::uint32_t>(1, count / 4);
}

}  // namespace

template <std::size_t A>
std::uint32_t PeerList<A>::size() const {
  return block_ ? Load32(block_.get()) : 0;
}

template <std::size_t A>
std::uint32_t PeerList<A>::capacity() const {
  return block_ ? Load32(block_.get() + 4) & ~kPeerIdBit : 0;
}

template <std::size_t A>
bool PeerList<A>::keeps_peer_ids() const {
  return block_ && (Load32(block_.get() + 4) & kPeerIdBit) != 0;
}

template <std::size_t A>
std::size_t PeerList<A>::entry_size() const {
  return keeps_peer_ids() ? kEntrySizeWithId : kEntrySizeWithoutId;
}

template <std::size_t A>
std::uint8_t* PeerList<A>::entry(std::uint32_t index) const {
  return block_.get() + kHeaderSize + std::size_t{index} * entry_size();
}

template <std::size_t A>
void PeerList<A>::SetSize(std::uint32_t size) {
  Store32(block_.get(), size);
}

template <std::size_t A>
void PeerList<A>::Reallocate(std::uint32_t wanted, bool keep_peer_ids) {
  const std::uint32_t count = size();
  if (wanted == 0) {
    block_.reset();
    return;
  }
  const std::size_t size_of_entry = keep_peer_ids ? kEntrySizeWithId : kEntrySizeWithoutId;
  const std::uint32_t new_capacity = FitCapacity(wanted, size_of_entry);
  auto block =
      std::make_unique_for_overwrite<std::uint8_t[]>(kHeaderSize + new_capacity * size_of_entry);
  Store32(block.get(), count);
  Store32(block.get() + 4, new_capacity | (keep_peer_ids ? kPeerIdBit : 0));
  if (count > 0) std::memcpy(block.get() + kHeaderSize, entry(0), count * size_of_entry);
  block_ = std::move(block);
}

template <std::size_t A>
void PeerList<A>::MaybeShrink() {
  const std::uint32_t count = size();
  if (count == 0) {
    block_.reset();
    return;
  }
  if (count > capacity() / 2) return;
  const std::uint32_t target = GrownTarget(count);
  if (FitCapacity(target, entry_size()) < capacity()) Reallocate(target, keeps_peer_ids());
}

template <std::size_t A>
typename PeerList<A>::Position PeerList<A>::Find(const Endpoint& endpoint) const {
  std::uint32_t low = 0;
  std::uint32_t high = size();
  while (low < high) {
    const std::uint32_t middle = low + (high - low) / 2;
    const int order = std::memcmp(entry(middle), endpoint.data(), kEndpointSize);
    if (order == 0) return {middle, true};
    if (order < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return {low, false};
}

template <std::size_t A>
void PeerList<A>::Insert(std::uint32_t index, const Endpoint& endpoint, const PeerState& state,
                         bool keep_peer_ids) {
  const std::uint32_t count = size();
  if (count == capacity())
    Reallocate(GrownTarget(count), block_ ? keeps_peer_ids() : keep_peer_ids);
  std::memmove(entry(index + 1), entry(index), (count - index) * entry_size());
  std::memcpy(entry(index), endpoint.data(), kEndpointSize);
  SetSize(count + 1);
  Set(index, state);
}

template <std::size_t A>
void PeerList<A>::Erase(std::uint32_t index) {
  const std::uint32_t count = size() - 1;
  std::memmove(entry(index), entry(index + 1), (count - index) * entry_size());
  SetSize(count);
  MaybeShrink();
}

template <std::size_t A>
void PeerList<A>::Set(std::uint32_t index, const PeerState& state) {
  std::uint8_t* at = entry(index) + kEndpointSize;
  Store32(at, ClampSeconds(state.last_seen));
  at[4] = state.completed ? kCompletedFlag : 0;
  if (keeps_peer_ids()) std::memcpy(at + 5, state.peer_id.bytes.data(), PeerId::kSize);
}

template <std::size_t A>
typename PeerList<A>::Endpoint PeerList<A>::EndpointAt(std::uint32_t index) const {
  Endpoint out;
  std::memcpy(out.data(), entry(index), kEndpointSize);
  return out;
}

template <std::size_t A>
PeerState PeerList<A>::StateAt(std::uint32_t index) const {
  const std::uint8_t* at = entry(index) + kEndpointSize;
  PeerState out;
  out.last_seen = Load32(at);
  out.completed = (at[4] & kCompletedFlag) != 0;
  if (keeps_peer_ids()) std::memcpy(out.peer_id.bytes.data(), at + 5, PeerId::kSize);
  return out;
}

template <std::size_t A>
std::uint32_t PeerList<A>::EraseSeenAtOrBefore(UnixSeconds cutoff) {
  const std::uint32_t count = size();
  const std::size_t size_of_entry = entry_size();
  std::uint32_t kept = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (static_cast<UnixSeconds>(Load32(entry(i) + kEndpointSize)) <= cutoff) continue;
    if (kept != i) std::memcpy(entry(kept), entry(i), size_of_entry);
    ++kept;
  }
  if (kept != count) {
    SetSize(kept);
    MaybeShrink();
  }
  return count - kept;
}

template <std::size_t A>
PeerSpan PeerList<A>::Span(std::uint32_t skip) const {
  PeerSpan out;
  out.entries = block_ ? entry(0) : nullptr;
  out.count = size();
  out.skip = skip;
  out.endpoint_size = kEndpointSize;
  out.entry_size = entry_size();
  out.peer_id_offset = keeps_peer_ids() ? kEndpointSize + 5 : 0;
  return out;
}

template <std::size_t A>
std::size_t PeerList<A>::AllocatedBytes() const {
  return block_ ? kHeaderSize + std::size_t{capacity()} * entry_size() : 0;
}

template class PeerList<4>;
template class PeerList<16>;

}  // namespace shardtrack

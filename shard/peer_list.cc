#include "shard/peer_list.h"

#include <algorithm>
#include <cstring>

namespace shardtrack {
namespace {

// Entry layout: [endpoint][last_seen: 4 bytes little-endian][flags][peer id].
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

// Capacity after `capacity` is full: 1, 2, 4, 7, 11, 17, ... (about 1.5x).
std::uint32_t GrownCapacity(std::uint32_t capacity) { return capacity + capacity / 2 + 1; }

}  // namespace

template <std::size_t A>
std::uint32_t PeerList<A>::size() const {
  return block_ ? Load32(block_.get()) : 0;
}

template <std::size_t A>
std::uint32_t PeerList<A>::capacity() const {
  return block_ ? Load32(block_.get() + 4) : 0;
}

template <std::size_t A>
std::uint8_t* PeerList<A>::entry(std::uint32_t index) const {
  return block_.get() + kHeaderSize + std::size_t{index} * kEntrySize;
}

template <std::size_t A>
void PeerList<A>::SetSize(std::uint32_t size) {
  Store32(block_.get(), size);
}

template <std::size_t A>
void PeerList<A>::Reallocate(std::uint32_t new_capacity) {
  const std::uint32_t count = size();
  if (new_capacity == 0) {
    block_.reset();
    return;
  }
  auto block =
      std::make_unique_for_overwrite<std::uint8_t[]>(kHeaderSize + new_capacity * kEntrySize);
  Store32(block.get(), count);
  Store32(block.get() + 4, new_capacity);
  if (count > 0) std::memcpy(block.get() + kHeaderSize, entry(0), count * kEntrySize);
  block_ = std::move(block);
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
void PeerList<A>::Insert(std::uint32_t index, const Endpoint& endpoint, const PeerState& state) {
  const std::uint32_t count = size();
  if (count == capacity()) Reallocate(GrownCapacity(count));
  std::memmove(entry(index + 1), entry(index), (count - index) * kEntrySize);
  std::memcpy(entry(index), endpoint.data(), kEndpointSize);
  SetSize(count + 1);
  Set(index, state);
}

template <std::size_t A>
void PeerList<A>::Erase(std::uint32_t index) {
  const std::uint32_t count = size() - 1;
  std::memmove(entry(index), entry(index + 1), (count - index) * kEntrySize);
  SetSize(count);
  // Give memory back once the list is a quarter full, keeping room to grow.
  if (count == 0 || count <= capacity() / 4) Reallocate(count == 0 ? 0 : 2 * count);
}

template <std::size_t A>
void PeerList<A>::Set(std::uint32_t index, const PeerState& state) {
  std::uint8_t* at = entry(index) + kEndpointSize;
  Store32(at, ClampSeconds(state.last_seen));
  at[4] = state.completed ? kCompletedFlag : 0;
  std::memcpy(at + 5, state.peer_id.bytes.data(), PeerId::kSize);
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
  std::memcpy(out.peer_id.bytes.data(), at + 5, PeerId::kSize);
  return out;
}

template <std::size_t A>
std::uint32_t PeerList<A>::EraseSeenAtOrBefore(UnixSeconds cutoff) {
  const std::uint32_t count = size();
  std::uint32_t kept = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (static_cast<UnixSeconds>(Load32(entry(i) + kEndpointSize)) <= cutoff) continue;
    if (kept != i) std::memcpy(entry(kept), entry(i), kEntrySize);
    ++kept;
  }
  if (kept != count) {
    SetSize(kept);
    if (kept == 0 || kept <= capacity() / 4) Reallocate(kept == 0 ? 0 : 2 * kept);
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
  out.entry_size = kEntrySize;
  out.peer_id_offset = kEndpointSize + 5;
  return out;
}

template <std::size_t A>
std::size_t PeerList<A>::AllocatedBytes() const {
  return block_ ? kHeaderSize + std::size_t{capacity()} * kEntrySize : 0;
}

template class PeerList<4>;
template class PeerList<16>;

}  // namespace shardtrack

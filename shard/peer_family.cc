#include "shard/peer_family.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string_view>
#include <vector>

#include "shard/endpoint_slots.h"
#include "shard/little_endian.h"
#include "shard/seen_time.h"

namespace shardtrack {
namespace {

// An entry's flags: the bits above last_seen's in its 3 bytes at PeerFamily::kLastSeenAt.
constexpr std::uint32_t kCompletedBit = std::uint32_t{1} << kSeenTimeBits;
constexpr std::uint32_t kPartialSeedBit = kCompletedBit << 1;
// The partial-seed bit within the byte at PeerFamily::kFlagsAt, for peer selection.
constexpr std::uint8_t kPartialSeedFlag = kPartialSeedBit >> 16;

// A seeder's partial_seed is not kept: only a leecher can be one.
bool StoredAsPartialSeed(PeerKind kind, const PeerState& state) {
  return state.partial_seed && kind == PeerKind::kLeecher;
}

// Header layout (see PeerFamily::kHeaderSize): where each u32 sits.
constexpr std::size_t kCapacityAt = 8;
constexpr std::size_t kPartialSeedsAt = 12;  // only with kPartialCountBit

constexpr std::uint32_t kPeerIdBit = 0x8000'0000;
constexpr std::uint32_t kIndexedBit = 0x4000'0000;
constexpr std::uint32_t kPartialCountBit = 0x2000'0000;
constexpr std::uint32_t kFlagBits = kPeerIdBit | kIndexedBit | kPartialCountBit;

// The header's capacity with its flag bits.
std::uint32_t CapacityWord(const std::uint8_t* block) {
  return LoadLittleEndian<4>(block + kCapacityAt);
}

// The most entries of `entry_size` bytes that fit the malloc chunk a block for `wanted` entries
// gets anyway. glibc rounds a request plus its 8-byte chunk header up to 16 bytes (32 at least),
// so a small block is (nearly) exact and a block never wastes the chunk's rounding. With another
// allocator this is merely at least `wanted`.
std::uint32_t FitCapacity(std::uint32_t wanted, std::size_t entry_size, std::size_t header_size) {
  const std::size_t bytes = header_size + std::size_t{wanted} * entry_size;
  const std::size_t chunk = std::max<std::size_t>(32, (bytes + 8 + 15) & ~std::size_t{15});
  return static_cast<std::uint32_t>((chunk - 8 - header_size) / entry_size);
}

// Index slots for a block of `capacity` entries: at most two thirds full. Not rounded up to a
// power of two: that cost up to twice the bytes to carry the index over some growths unhashed;
// as homes scale with the slot count, each growth hashes every peer.
std::size_t IndexSlots(std::uint32_t capacity) { return std::size_t{capacity} + capacity / 2; }

// The key is copied in and out and the slots are bytes (PackedSlots): nothing to align.
std::size_t IndexOffset(std::uint32_t capacity, std::size_t entry_size, std::size_t header_size) {
  return header_size + std::size_t{capacity} * entry_size;
}

// A slot holds a position + 1, at most the capacity: 2 bytes up to 65,535 entries, 3 up to
// 16,777,215, 4 beyond.
std::size_t SlotBytes(std::uint32_t capacity) {
  return capacity <= PackedSlots<2>::kMax ? 2 : capacity <= PackedSlots<3>::kMax ? 3 : 4;
}

// Calls `use` with the `count` slots at `bytes` as wide as SlotBytes(capacity) says.
template <class Use>
decltype(auto) WithPackedSlots(std::uint32_t capacity, std::uint8_t* bytes, std::size_t count,
                               Use use) {
  switch (SlotBytes(capacity)) {
    case 2:
      return use(PackedSlots<2>(bytes, count));
    case 3:
      return use(PackedSlots<3>(bytes, count));
    default:
      return use(PackedSlots<4>(bytes, count));
  }
}

std::size_t BlockBytes(std::uint32_t capacity, std::size_t entry_size, std::size_t header_size,
                       bool indexed) {
  if (!indexed) return header_size + std::size_t{capacity} * entry_size;
  return IndexOffset(capacity, entry_size, header_size) + sizeof(SipHashKey) +
         IndexSlots(capacity) * SlotBytes(capacity);
}

// An indexed block is big, so malloc's rounding does not matter and it holds exactly `wanted`.
std::uint32_t CapacityFor(std::uint32_t wanted, std::size_t entry_size, std::size_t header_size,
                          bool indexed) {
  return indexed ? wanted : FitCapacity(wanted, entry_size, header_size);
}

// A block of a megabyte or more is mapped fresh by malloc, and its pages would fault in one at
// a time as the entries are copied; in a VM each fault is a costly exit. One madvise has the
// kernel populate them instead: growing a 500,000-peer family paused the loop 28 ms instead of
// 47 (Linux 5.14+; elsewhere the call fails and changes nothing).
void Prefault(std::uint8_t* block, std::size_t bytes) {
  if (bytes < (std::size_t{1} << 20)) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto start = (reinterpret_cast<std::uintptr_t>(block) + page - 1) & ~(page - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(block) + bytes) & ~(page - 1);
  ::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_WRITE);
}

// Copies `count` entries; from a layout without peer ids to one with them, the ids are zeros.
void CopyEntries(const std::uint8_t* from, std::uint32_t count, std::size_t from_size,
                 std::uint8_t* to, std::size_t to_size) {
  if (from_size == to_size) {
    std::memcpy(to, from, std::size_t{count} * to_size);
    return;
  }
  const std::size_t common = std::min(from_size, to_size);
  for (std::uint32_t i = 0; i < count; ++i, from += from_size, to += to_size) {
    std::memcpy(to, from, common);
    std::memset(to + common, 0, to_size - common);
  }
}

// Entries to make room for once `count` fill the block: one more for small blocks (the chunk
// fit adds what rounding gives), about 1.25x for big ones.
std::uint32_t GrownTarget(std::uint32_t count) {
  return count + std::max<std::uint32_t>(1, count / 4);
}

}  // namespace

template <std::size_t A>
std::uint32_t PeerFamily<A>::size(PeerKind kind) const {
  return block_ ? LoadLittleEndian<4>(block_.get() + (kind == PeerKind::kSeeder ? 0 : 4)) : 0;
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::size() const {
  return size(PeerKind::kSeeder) + size(PeerKind::kLeecher);
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::partial_seeds() const {
  return counts_partial_seeds() ? LoadLittleEndian<4>(block_.get() + kPartialSeedsAt) : 0;
}

template <std::size_t A>
bool PeerFamily<A>::counts_partial_seeds() const {
  return block_ && (CapacityWord(block_.get()) & kPartialCountBit) != 0;
}

template <std::size_t A>
std::size_t PeerFamily<A>::header_size() const {
  return HeaderSize(counts_partial_seeds());
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::capacity() const {
  return block_ ? CapacityWord(block_.get()) & ~kFlagBits : 0;
}

template <std::size_t A>
bool PeerFamily<A>::indexed() const {
  return block_ && (CapacityWord(block_.get()) & kIndexedBit) != 0;
}

template <std::size_t A>
bool PeerFamily<A>::keeps_peer_ids() const {
  return block_ && (CapacityWord(block_.get()) & kPeerIdBit) != 0;
}

template <std::size_t A>
std::size_t PeerFamily<A>::entry_size() const {
  return keeps_peer_ids() ? kEntrySizeWithId : kEntrySizeWithoutId;
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::first(PeerKind kind) const {
  return kind == PeerKind::kSeeder ? 0 : capacity() - size(PeerKind::kLeecher);
}

template <std::size_t A>
std::uint8_t* PeerFamily<A>::entry(std::uint32_t position) const {
  return block_.get() + header_size() + std::size_t{position} * entry_size();
}

template <std::size_t A>
void PeerFamily<A>::SetSize(PeerKind kind, std::uint32_t size) {
  StoreLittleEndian<4>(block_.get() + (kind == PeerKind::kSeeder ? 0 : 4), size);
}

template <std::size_t A>
void PeerFamily<A>::SetPartialSeeds(std::uint32_t count) {
  StoreLittleEndian<4>(block_.get() + kPartialSeedsAt, count);
}

template <std::size_t A>
void PeerFamily<A>::Reallocate(std::uint32_t wanted, bool keep_peer_ids, bool index,
                               bool index_current, bool count_partial_seeds) {
  if (wanted == 0) {
    block_.reset();
    return;
  }
  const std::size_t size_of_entry = keep_peer_ids ? kEntrySizeWithId : kEntrySizeWithoutId;
  const std::size_t header = HeaderSize(count_partial_seeds);
  const std::uint32_t new_capacity = CapacityFor(wanted, size_of_entry, header, index);
  const std::size_t bytes = BlockBytes(new_capacity, size_of_entry, header, index);
  auto block = std::make_unique_for_overwrite<std::uint8_t[]>(bytes);
  Prefault(block.get(), bytes);
  std::uint8_t* entries = block.get() + header;
  const bool was_indexed = indexed();
  const SipHashKey key = was_indexed ? IndexKey() : index ? RandomSipHashKey() : SipHashKey{};
  if (block_) {  // sizes, seeders at the front, leechers at the back
    const std::uint32_t leechers = size(PeerKind::kLeecher);
    std::memcpy(block.get(), block_.get(), kCapacityAt);
    CopyEntries(entry(0), size(PeerKind::kSeeder), entry_size(), entries, size_of_entry);
    CopyEntries(entry(first(PeerKind::kLeecher)), leechers, entry_size(),
                entries + (new_capacity - leechers) * size_of_entry, size_of_entry);
  } else {
    std::memset(block.get(), 0, kCapacityAt);
  }
  if (count_partial_seeds) StoreLittleEndian<4>(block.get() + kPartialSeedsAt, partial_seeds());
  // With the same capacity (so as many slots) the index carries over: no peer is hashed again.
  const bool carried = was_indexed && index && index_current && capacity() == new_capacity;
  if (carried) CarryIndexTo(block.get(), header);
  StoreLittleEndian<4>(block.get() + kCapacityAt, new_capacity | (keep_peer_ids ? kPeerIdBit : 0) |
                                                      (index ? kIndexedBit : 0) |
                                                      (count_partial_seeds ? kPartialCountBit : 0));
  block_ = std::move(block);
  if (index && !carried) {
    std::memcpy(block_.get() + IndexOffset(new_capacity, size_of_entry, header), key.data(),
                sizeof key);
    RebuildIndex();
  } else if (!index && was_indexed) {
    SortKind(PeerKind::kSeeder);
    SortKind(PeerKind::kLeecher);
  }
}

// The key and the slots, copied to `block` (after a `header`-byte header, the same capacity and
// entry size, so every entry keeps its position and every slot its value).
template <std::size_t A>
void PeerFamily<A>::CarryIndexTo(std::uint8_t* block, std::size_t header) const {
  const std::size_t step = entry_size();
  std::memcpy(block + IndexOffset(capacity(), step, header),
              block_.get() + IndexOffset(capacity(), step, header_size()),
              sizeof(SipHashKey) + IndexSlots(capacity()) * SlotBytes(capacity()));
}

template <std::size_t A>
bool PeerFamily<A>::MaybeShrink(bool may_unindex, bool index_current) {
  const std::uint32_t count = size();
  if (count == 0) {
    block_.reset();
    return true;
  }
  const bool index = indexed() && !(may_unindex && count < kUnindexBelow);
  const std::uint32_t target = GrownTarget(count);
  if (index == indexed() &&
      (count > capacity() / 2 ||
       CapacityFor(target, entry_size(), header_size(), index) >= capacity())) {
    return false;
  }
  Reallocate(target, keeps_peer_ids(), index, index_current, partial_seeds() > 0);
  return true;
}

template <std::size_t A>
SipHashKey PeerFamily<A>::IndexKey() const {
  SipHashKey key;
  std::memcpy(key.data(), block_.get() + IndexOffset(capacity(), entry_size(), header_size()),
              sizeof key);
  return key;
}

template <std::size_t A>
template <class Use>
decltype(auto) PeerFamily<A>::WithIndex(Use use) const {
  std::uint8_t* slots =
      block_.get() + IndexOffset(capacity(), entry_size(), header_size()) + sizeof(SipHashKey);
  const auto endpoint_at = [this](std::uint32_t position) {
    return std::string_view(reinterpret_cast<const char*>(entry(position)), kEndpointSize);
  };
  return WithPackedSlots(capacity(), slots, IndexSlots(capacity()), [&](auto packed) {
    return use(EndpointSlots(packed, IndexKey(), endpoint_at));
  });
}

template <std::size_t A>
void PeerFamily<A>::RebuildIndex() {
  WithIndex([&](auto by_endpoint) {
    by_endpoint.Clear();
    for (std::uint32_t position = 0; position < size(PeerKind::kSeeder); ++position) {
      by_endpoint.Add(position);
    }
    for (std::uint32_t position = first(PeerKind::kLeecher); position < capacity(); ++position) {
      by_endpoint.Add(position);
    }
  });
}

template <std::size_t A>
void PeerFamily<A>::SortKind(PeerKind kind) {
  if (size(kind) < 2) return;  // sorted already (and memcpy from an empty vector's null is UB)
  const std::size_t step = entry_size();
  std::uint8_t* entries = entry(first(kind));
  std::vector<std::uint32_t> order(size(kind));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::memcmp(entries + a * step, entries + b * step, kEndpointSize) < 0;
  });
  std::vector<std::uint8_t> sorted(order.size() * step);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::memcpy(sorted.data() + i * step, entries + order[i] * step, step);
  }
  std::memcpy(entries, sorted.data(), sorted.size());
}

template <std::size_t A>
typename PeerFamily<A>::Position PeerFamily<A>::Find(PeerKind kind,
                                                     const Endpoint& endpoint) const {
  std::uint32_t low = 0;
  std::uint32_t high = size(kind);
  if (high == 0) return {0, false};
  if (indexed()) {
    const Listing listing = Locate(endpoint);
    return kind == PeerKind::kSeeder ? listing.as_seeder : listing.as_leecher;
  }
  // The header is read once, not per probe: this runs three times per announce.
  const std::uint8_t* entries = entry(first(kind));
  const std::size_t step = entry_size();
  while (low < high) {
    const std::uint32_t middle = low + (high - low) / 2;
    const int order = std::memcmp(entries + middle * step, endpoint.data(), kEndpointSize);
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
typename PeerFamily<A>::Listing PeerFamily<A>::Locate(const Endpoint& endpoint) const {
  if (!indexed()) return {Find(PeerKind::kSeeder, endpoint), Find(PeerKind::kLeecher, endpoint)};
  const std::uint32_t position = WithIndex([&](auto by_endpoint) {
    return by_endpoint.Find(
        std::string_view(reinterpret_cast<const char*>(endpoint.data()), kEndpointSize),
        UINT32_MAX);
  });
  Listing out;
  if (position < size(PeerKind::kSeeder)) {
    out.as_seeder = {position, true};
  } else if (position != UINT32_MAX) {  // positions past the seeders are leechers'
    out.as_leecher = {position - first(PeerKind::kLeecher), true};
  }
  return out;
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::Insert(PeerKind kind, std::uint32_t index, const Endpoint& endpoint,
                                    const PeerState& state, bool keep_peer_ids) {
  const std::uint32_t count = size(kind);
  const bool index_it = indexed() || size() + 1 >= kIndexFrom;
  const bool partial_seed = StoredAsPartialSeed(kind, state);
  if (size() == capacity() || index_it != indexed() || (partial_seed && !counts_partial_seeds())) {
    Reallocate(GrownTarget(size()), block_ ? keeps_peer_ids() : keep_peer_ids, index_it, true,
               partial_seed || partial_seeds() > 0);
  }
  if (index_it) {  // joins at the edge of its kind
    const std::uint32_t position = kind == PeerKind::kSeeder ? count : capacity() - count - 1;
    std::memcpy(entry(position), endpoint.data(), kEndpointSize);
    SetSize(kind, count + 1);
    if (WriteState(kind, position, state)) SetPartialSeeds(partial_seeds() + 1);
    WithIndex([&](auto by_endpoint) { by_endpoint.Add(position); });
    return position - first(kind);
  }
  if (kind == PeerKind::kSeeder) {  // the entries after it move up into the gap
    std::memmove(entry(index + 1), entry(index), (count - index) * entry_size());
  } else {  // the entries before it move down into the gap
    const std::uint32_t start = first(kind);
    std::memmove(entry(start - 1), entry(start), index * entry_size());
  }
  SetSize(kind, count + 1);
  std::memcpy(entry(first(kind) + index), endpoint.data(), kEndpointSize);
  if (WriteState(kind, first(kind) + index, state)) SetPartialSeeds(partial_seeds() + 1);
  return index;
}

template <std::size_t A>
void PeerFamily<A>::KeepPeerIds() {
  // The entries and the index's place in the block move: the index is built again.
  if (block_ && !keeps_peer_ids()) {
    Reallocate(capacity(), true, indexed(), false, counts_partial_seeds());
  }
}

template <std::size_t A>
void PeerFamily<A>::Erase(PeerKind kind, std::uint32_t index) {
  const std::uint32_t count = size(kind);
  if (PartialSeedAt(first(kind) + index)) SetPartialSeeds(partial_seeds() - 1);
  if (indexed()) {  // the entry at the edge of its kind fills the hole
    const std::uint32_t position = first(kind) + index;
    const std::uint32_t edge = kind == PeerKind::kSeeder ? count - 1 : first(kind);
    WithIndex([&](auto by_endpoint) {
      by_endpoint.Remove(position);
      if (edge != position) by_endpoint.Move(edge, position);
    });
    if (edge != position) std::memcpy(entry(position), entry(edge), entry_size());
    SetSize(kind, count - 1);
    MaybeShrink(false, true);
    return;
  }
  if (kind == PeerKind::kSeeder) {
    std::memmove(entry(index), entry(index + 1), (count - index - 1) * entry_size());
  } else {
    const std::uint32_t start = first(kind);
    std::memmove(entry(start + 1), entry(start), index * entry_size());
  }
  SetSize(kind, count - 1);
  MaybeShrink(false, true);
}

template <std::size_t A>
void PeerFamily<A>::Set(PeerKind kind, std::uint32_t index, const PeerState& state) {
  if (StoredAsPartialSeed(kind, state) && !counts_partial_seeds()) {
    Reallocate(capacity(), keeps_peer_ids(), indexed(), true, true);
  }
  // The header is written only when the flag changes, as for few announces.
  const std::uint32_t position = first(kind) + index;
  const bool was = PartialSeedAt(position);
  const bool is = WriteState(kind, position, state);
  if (was != is) SetPartialSeeds(partial_seeds() + is - was);
}

template <std::size_t A>
bool PeerFamily<A>::WriteState(PeerKind kind, std::uint32_t position, const PeerState& state) {
  std::uint8_t* at = entry(position);
  const bool partial_seed = StoredAsPartialSeed(kind, state);
  StoreLittleEndian<3>(at + kLastSeenAt, PackSeenTime(state.last_seen) |
                                             (state.completed ? kCompletedBit : 0) |
                                             (partial_seed ? kPartialSeedBit : 0));
  if (keeps_peer_ids()) std::memcpy(at + kPeerIdAt, state.peer_id.bytes.data(), PeerId::kSize);
  return partial_seed;
}

template <std::size_t A>
bool PeerFamily<A>::PartialSeedAt(std::uint32_t position) const {
  return (entry(position)[kFlagsAt] & kPartialSeedFlag) != 0;
}

template <std::size_t A>
typename PeerFamily<A>::Endpoint PeerFamily<A>::EndpointAt(PeerKind kind,
                                                           std::uint32_t index) const {
  Endpoint out;
  std::memcpy(out.data(), entry(first(kind) + index), kEndpointSize);
  return out;
}

template <std::size_t A>
PeerState PeerFamily<A>::StateAt(PeerKind kind, std::uint32_t index, UnixSeconds reference) const {
  const std::uint8_t* at = entry(first(kind) + index);
  PeerState out;
  const std::uint32_t packed = LoadLittleEndian<3>(at + kLastSeenAt);
  out.last_seen = UnpackSeenTime(packed & kSeenTimeMask, reference);
  out.completed = (packed & kCompletedBit) != 0;
  out.partial_seed = (packed & kPartialSeedBit) != 0;
  if (keeps_peer_ids()) std::memcpy(out.peer_id.bytes.data(), at + kPeerIdAt, PeerId::kSize);
  return out;
}

template <std::size_t A>
bool PeerFamily<A>::SeenOutside(PeerKind kind, std::uint32_t index, const SeenRange& kept) const {
  const std::uint32_t packed =
      LoadLittleEndian<3>(entry(first(kind) + index) + kLastSeenAt) & kSeenTimeMask;
  const UnixSeconds seen = UnpackSeenTime(packed, kept.reference);
  return seen < kept.first || seen > kept.last;
}

template <std::size_t A>
std::uint32_t PeerFamily<A>::EraseSeenOutside(const SeenRange& kept) {
  if (indexed() && ErasingFew(kept)) return EraseEachSeenOutside(kept);
  const std::uint32_t seeders = size(PeerKind::kSeeder);
  const std::uint32_t leechers = size(PeerKind::kLeecher);
  const std::size_t size_of_entry = entry_size();
  // Seeders close ranks towards the front, leechers towards the back.
  std::uint32_t kept_seeders = 0;
  for (std::uint32_t i = 0; i < seeders; ++i) {
    if (SeenOutside(PeerKind::kSeeder, i, kept)) continue;
    if (kept_seeders != i) std::memcpy(entry(kept_seeders), entry(i), size_of_entry);
    ++kept_seeders;
  }
  const std::uint32_t end = capacity();
  std::uint32_t kept_leechers = 0;
  std::uint32_t kept_partial_seeds = 0;
  for (std::uint32_t i = leechers; i-- > 0;) {
    if (SeenOutside(PeerKind::kLeecher, i, kept)) continue;
    ++kept_leechers;
    const std::uint32_t from = end - leechers + i;
    kept_partial_seeds += PartialSeedAt(from);
    if (end - kept_leechers != from) {
      std::memcpy(entry(end - kept_leechers), entry(from), size_of_entry);
    }
  }
  const std::uint32_t removed = seeders + leechers - kept_seeders - kept_leechers;
  if (removed > 0) {
    SetSize(PeerKind::kSeeder, kept_seeders);
    SetSize(PeerKind::kLeecher, kept_leechers);
    if (counts_partial_seeds()) SetPartialSeeds(kept_partial_seeds);
    // The entries moved under the index: a block that stays is re-indexed, a new one never
    // carries the old index over.
    if (!MaybeShrink(true, false) && indexed()) RebuildIndex();
  }
  return removed;
}

// Rebuilding the index hashes every peer left; erasing one by one hashes about four times per
// peer erased, each with its cache misses: 0.3-0.4 us a peer at 100,000 peers, 0.75-1 us at a
// million, against 50-70 ns a peer left for a rebuild. A rebuild costs less from about a sixth
// of 100,000 and a fifteenth of a million expiring; at an eighth neither way pauses the loop
// much longer than the other (about 0.1 s at a million; at a quarter erasing took 175 ms).
template <std::size_t A>
bool PeerFamily<A>::ErasingFew(const SeenRange& kept) const {
  std::uint32_t erasing = 0;
  for (PeerKind kind : {PeerKind::kSeeder, PeerKind::kLeecher}) {
    for (std::uint32_t i = 0; i < size(kind); ++i) erasing += SeenOutside(kind, i, kept);
  }
  return erasing < size() / 8;
}

// Each Erase moves the entry at the edge of its kind into the hole, which is checked next: a
// seeder comes from the end (so index i is checked again), a leecher from the front (so the
// downward walk reaches it at i - 1, its new index).
template <std::size_t A>
std::uint32_t PeerFamily<A>::EraseEachSeenOutside(const SeenRange& kept) {
  const std::uint32_t before = size();
  for (std::uint32_t i = 0; i < size(PeerKind::kSeeder);) {
    if (SeenOutside(PeerKind::kSeeder, i, kept)) {
      Erase(PeerKind::kSeeder, i);
    } else {
      ++i;
    }
  }
  for (std::uint32_t i = size(PeerKind::kLeecher); i-- > 0;) {
    if (SeenOutside(PeerKind::kLeecher, i, kept)) Erase(PeerKind::kLeecher, i);
  }
  MaybeShrink(true, true);
  return before - size();
}

template <std::size_t A>
PeerSpan PeerFamily<A>::Span(PeerKind kind, std::uint32_t skip) const {
  PeerSpan out;
  out.entries = block_ ? entry(first(kind)) : nullptr;
  out.count = size(kind);
  out.skip = skip;
  out.endpoint_size = kEndpointSize;
  out.entry_size = entry_size();
  out.peer_id_offset = keeps_peer_ids() ? kPeerIdAt : 0;
  return out;
}

template <std::size_t A>
PeerSpan PeerFamily<A>::Downloaders(std::uint32_t skip) const {
  PeerSpan out = Span(PeerKind::kLeecher, skip);
  if (partial_seeds() > out.count / 4) return out;  // see the declaration
  out.flags_offset = kFlagsAt;
  out.left_out_flags = kPartialSeedFlag;
  const bool skips_one = skip < out.count && PartialSeedAt(first(PeerKind::kLeecher) + skip);
  out.left_out = partial_seeds() - (skips_one ? 1 : 0);
  return out;
}

template <std::size_t A>
std::size_t PeerFamily<A>::AllocatedBytes() const {
  return block_ ? BlockBytes(capacity(), entry_size(), header_size(), indexed()) : 0;
}

template class PeerFamily<4>;
template class PeerFamily<16>;

}  // namespace shardtrack

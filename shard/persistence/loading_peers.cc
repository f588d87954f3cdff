#include "shard/persistence/loading_peers.h"

#include <algorithm>
#include <array>
#include <bit>
#include <string_view>

#include "shard/endpoint_slots.h"

namespace shardtrack {
namespace {

// The endpoint's bytes as the loader's maps keyed it: the address bytes, then the port, high
// byte first.
class EndpointKey {
 public:
  explicit EndpointKey(const PeerRecord& peer) {
    const std::string_view ip = peer.ip.raw();
    std::copy(ip.begin(), ip.end(), bytes_.begin());
    bytes_[ip.size()] = static_cast<char>(peer.port >> 8);
    bytes_[ip.size() + 1] = static_cast<char>(peer.port & 0xff);
    size_ = ip.size() + 2;
  }
  std::string_view view() const { return {bytes_.data(), size_}; }
  explicit operator std::string_view() const { return view(); }
  bool operator==(const EndpointKey& other) const { return view() == other.view(); }

 private:
  std::array<char, 18> bytes_;
  std::size_t size_;
};

bool SameEndpoint(const PeerRecord& a, const PeerRecord& b) {
  return a.port == b.port && a.ip == b.ip;
}

bool EndpointLess(const PeerRecord& a, const PeerRecord& b) {
  return EndpointKey(a).view() < EndpointKey(b).view();
}

// Index slots for `peers`: at most half full after a rebuild (3/4 before the next one).
std::size_t SlotsFor(std::size_t peers) {
  return std::max<std::size_t>(64, std::bit_ceil(peers * 2));
}

}  // namespace

auto LoadingPeers::Index(const SipHashKey& key) {
  // The slots are only ever read and written through this view.
  return EndpointSlots(
      PackedSlots<4>(reinterpret_cast<std::uint8_t*>(slots_.data()), slots_.size()), key,
      [this](std::uint32_t position) { return EndpointKey(peers_[position]); });
}

void LoadingPeers::AddFromSnapshot(std::vector<PeerRecord> peers) {
  normalized_ = false;
  std::vector<std::uint32_t>().swap(slots_);
  if (peers_.empty()) {
    peers_ = std::move(peers);
  } else {
    peers_.insert(peers_.end(), peers.begin(), peers.end());
  }
}

void LoadingPeers::Normalize() {
  if (normalized_) return;
  normalized_ = true;
  std::stable_sort(peers_.begin(), peers_.end(), EndpointLess);
  // Of a run at one endpoint the last (in file order) counts: keep it, drop the others.
  auto out = peers_.begin();
  for (auto it = peers_.begin(); it != peers_.end(); ++it) {
    if (std::next(it) != peers_.end() && SameEndpoint(*it, *std::next(it))) continue;
    *out++ = *it;
  }
  peers_.erase(out, peers_.end());
}

void LoadingPeers::PrepareForRecord(const SipHashKey& key) {
  Normalize();
  if (slots_.empty() && peers_.size() > kIndexFrom) Rebuild(SlotsFor(peers_.size()), key);
}

std::size_t LoadingPeers::Find(const PeerRecord& endpoint, const SipHashKey& key) {
  if (slots_.empty()) {
    auto found = std::find_if(peers_.begin(), peers_.end(),
                              [&](const PeerRecord& peer) { return SameEndpoint(peer, endpoint); });
    return static_cast<std::size_t>(found - peers_.begin());
  }
  return Index(key).Find(EndpointKey(endpoint), static_cast<std::uint32_t>(peers_.size()));
}

void LoadingPeers::Rebuild(std::size_t slots, const SipHashKey& key) {
  slots_.assign(slots, 0);
  auto index = Index(key);
  for (std::size_t pos = 0; pos < peers_.size(); ++pos) index.Add(static_cast<std::uint32_t>(pos));
}

void LoadingPeers::Upsert(const PeerRecord& peer, const SipHashKey& key, Mark mark) {
  PrepareForRecord(key);
  const std::size_t pos = Find(peer, key);
  if (pos < peers_.size()) {
    const bool completed = peer.completed || (mark == Mark::kAdd && peers_[pos].completed);
    peers_[pos] = peer;
    peers_[pos].completed = completed;
    return;
  }
  if (peers_.size() == peers_.capacity()) {
    // Half again, not double: a journal's peers arrive one at a time, and the slack is the peak.
    peers_.reserve(peers_.size() + peers_.size() / 2 + 1);
  }
  peers_.push_back(peer);
  const std::size_t size = peers_.size();
  if (slots_.empty() && size <= kIndexFrom) return;
  if (size * 4 > slots_.size() * 3) {  // at most 3/4 full
    Rebuild(SlotsFor(size), key);
  } else {
    Index(key).Add(static_cast<std::uint32_t>(size - 1));
  }
}

void LoadingPeers::Remove(const PeerRecord& endpoint, const SipHashKey& key) {
  PrepareForRecord(key);
  const std::size_t pos = Find(endpoint, key);
  if (pos == peers_.size()) return;
  const std::size_t last = peers_.size() - 1;
  if (!slots_.empty()) {
    auto index = Index(key);
    index.Remove(static_cast<std::uint32_t>(pos));
    // The last peer moves into the hole: its slot must name its new position.
    if (pos != last) index.Move(static_cast<std::uint32_t>(last), static_cast<std::uint32_t>(pos));
  }
  peers_[pos] = peers_[last];
  peers_.pop_back();
}

std::vector<PeerRecord> LoadingPeers::Take() {
  Normalize();
  std::vector<std::uint32_t>().swap(slots_);
  if (!std::is_sorted(peers_.begin(), peers_.end(), EndpointLess)) {
    std::sort(peers_.begin(), peers_.end(), EndpointLess);  // one peer per endpoint by now
  }
  normalized_ = false;
  return std::move(peers_);
}

}  // namespace shardtrack

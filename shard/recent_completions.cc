#include "shard/recent_completions.h"

#include <array>
#include <string_view>

namespace shardtrack {

std::uint64_t RecentCompletions::KeyOf(const InfoHash& info_hash, const PeerId& peer_id) const {
  std::array<char, InfoHash::kSize + PeerId::kSize> bytes;
  info_hash.view().copy(bytes.data(), InfoHash::kSize);
  peer_id.view().copy(bytes.data() + InfoHash::kSize, PeerId::kSize);
  return SipHash24(key_, std::string_view(bytes.data(), bytes.size()));
}

bool RecentCompletions::Seen(const InfoHash& info_hash, const PeerId& peer_id, UnixSeconds now) {
  Forget(now);
  return noted_.contains(KeyOf(info_hash, peer_id));
}

void RecentCompletions::Note(const InfoHash& info_hash, const PeerId& peer_id, UnixSeconds now) {
  const std::uint64_t key = KeyOf(info_hash, peer_id);
  noted_[key] = now;
  order_.emplace_back(now, key);
  Forget(now);
}

void RecentCompletions::Forget(UnixSeconds now) {
  while (!order_.empty() && (order_.front().first <= now - kWindow || order_.size() > capacity_)) {
    const auto [noted_at, key] = order_.front();
    order_.pop_front();
    // A key noted again later has a later entry too: only its last entry forgets it.
    if (auto found = noted_.find(key); found != noted_.end() && found->second == noted_at) {
      noted_.erase(found);
    }
  }
}

}  // namespace shardtrack

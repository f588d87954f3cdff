#include "shard/top_torrents.h"

#include <algorithm>

namespace shardtrack {

void TopTorrents::Offer(const InfoHash& info_hash, std::uint64_t peers) {
  if (capacity_ == 0 || peers == 0) return;  // kept for its completed count: not "most peers"
  const Entry entry{peers, info_hash};
  if (heap_.size() < capacity_) {
    heap_.push_back(entry);
    std::push_heap(heap_.begin(), heap_.end(), Better);
  } else if (Better(entry, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), Better);
    heap_.back() = entry;
    std::push_heap(heap_.begin(), heap_.end(), Better);
  }
}

std::vector<InfoHash> TopTorrents::TakeBest() {
  std::sort_heap(heap_.begin(), heap_.end(), Better);
  std::vector<InfoHash> best;
  best.reserve(heap_.size());
  for (const Entry& entry : heap_) best.push_back(entry.info_hash);
  heap_.clear();
  return best;
}

}  // namespace shardtrack

// NodePool: keeps the nodes of entries taken out of a std::unordered_map or std::map (extract())
// for reuse, values included, so that inserting a new entry allocates nothing once warm: a server
// that opens a connection per request reuses a closed connection's node and state. Bounded: beyond
// `max_spare` a returned node is freed. The caller resets a reused value (ClearForReuse for its
// buffers). Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace shardtrack {

template <typename Map>
class NodePool {
 public:
  // What a server keeps of its closed connections: enough for a burst of short connections,
  // little memory when idle.
  static constexpr std::size_t kDefaultMaxSpare = 1024;

  explicit NodePool(std::size_t max_spare = kDefaultMaxSpare) : max_spare_(max_spare) {}

  // Inserts `key` (which must not be in `map`) with a spare node's value, or with make()'s.
  template <typename MakeValue>
  typename Map::iterator Insert(Map& map, const typename Map::key_type& key, MakeValue&& make) {
    if (spare_.empty()) return map.emplace(key, make()).first;
    spare_.back().key() = key;
    auto inserted = map.insert(std::move(spare_.back()));
    spare_.pop_back();
    return inserted.position;
  }

  void Keep(typename Map::node_type node) {
    if (spare_.size() < max_spare_) spare_.push_back(std::move(node));
  }

  std::size_t spare() const { return spare_.size(); }

 private:
  std::size_t max_spare_;
  std::vector<typename Map::node_type> spare_;
};

// What a reused buffer keeps of its capacity at most: requests and their answers take a few
// hundred bytes; one large answer (a full scrape) must not stay pinned once sent.
inline constexpr std::size_t kMostReusedBufferBytes = 64 * 1024;

// Empties a reused value's buffer: its capacity is kept for the next user unless it grew past
// `max_kept` (one large response must not pin that much memory in every spare node).
inline void ClearForReuse(std::string& buffer, std::size_t max_kept = kMostReusedBufferBytes) {
  if (buffer.capacity() > max_kept) {
    std::string().swap(buffer);
  } else {
    buffer.clear();
  }
}

}  // namespace shardtrack

// Slab<T>: objects addressed by a small index that stays valid until released, reused after
// release, so a warm server allocates nothing per request for them. Released objects keep their
// state (and capacity); the caller resets what it reuses. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace shardtrack {

template <typename T>
class Slab {
 public:
  // An index for a free object: a released one if any, else a new default-constructed one.
  std::uint32_t Acquire() {
    if (free_.empty()) {
      items_.emplace_back();
      return static_cast<std::uint32_t>(items_.size() - 1);
    }
    const std::uint32_t index = free_.back();
    free_.pop_back();
    return index;
  }
  void Release(std::uint32_t index) { free_.push_back(index); }

  // Objects acquired and not released.
  std::size_t in_use() const { return items_.size() - free_.size(); }

  T& operator[](std::uint32_t index) { return items_[index]; }
  const T& operator[](std::uint32_t index) const { return items_[index]; }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

}  // namespace shardtrack

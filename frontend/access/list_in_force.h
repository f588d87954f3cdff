// ListInForce: what TorrentAccess, PasskeyAccess and ClientAccess share: the list an operator's
// file gave (none: the feature is off) and how its reloads went. A ListFileReloader swaps a new
// list in with Replace. Each derived class adds what it checks and counts. Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace shardtrack {

template <typename ListType>
class ListInForce {
 public:
  using List = ListType;
  struct Reloads {
    std::uint64_t ok = 0;      // a new list came into force
    std::uint64_t failed = 0;  // the file was missing or malformed; the list in force stayed
  };

  ListInForce() = default;  // off
  explicit ListInForce(List list) : enabled_(true), list_(std::move(list)) {}

  bool enabled() const { return enabled_; }
  std::size_t entries() const { return list_.size(); }
  const Reloads& reloads() const { return reloads_; }

  // A reloaded list takes the place of the one in force.
  void Replace(List list) {
    list_ = std::move(list);
    ++reloads_.ok;
  }
  // A reload failed and the list in force stays.
  void CountFailedReload() { ++reloads_.failed; }

 protected:
  const List& list() const { return list_; }

 private:
  bool enabled_ = false;
  List list_;
  Reloads reloads_;
};

}  // namespace shardtrack

// ModalList: what the access list, the client list and the IP list share: the list in force
// (ListInForce) and whether what it names is all that passes (allow) or all that is kept out
// (deny). Off (no file): everything passes. Loop thread only.
#pragma once

#include <string>
#include <utility>

#include "common/list_in_force.h"

namespace shardtrack {

enum class AccessMode {
  kAllow,  // only what the list names passes (a private tracker's torrents, a client whitelist)
  kDeny,   // what the list names is refused (a block list)
};

template <typename ListType>
class ModalList : public ListInForce<ListType> {
 public:
  ModalList() = default;  // off: everything passes
  ModalList(AccessMode mode, ListType list) : ListInForce<ListType>(std::move(list)), mode_(mode) {}

  // In allow mode a list that names nothing refuses everything. Reloaded over one that names
  // something, it is most likely a file written half-way (a failed export): kept out.
  std::string RefusalOf(const ListType& list) const {
    if (mode_ != AccessMode::kAllow || list.size() != 0 || this->entries() == 0) return {};
    return "it names nothing, which in allow mode would refuse every request (a failed export?)";
  }
  bool RefusesEverything() const {
    return this->enabled() && mode_ == AccessMode::kAllow && this->entries() == 0;
  }

 protected:
  // Whether something the list names (`listed`) or does not name passes.
  bool Passes(bool listed) const {
    return !this->enabled() || listed == (mode_ == AccessMode::kAllow);
  }

 private:
  AccessMode mode_ = AccessMode::kAllow;
};

}  // namespace shardtrack

// IpAccess: which client addresses may use this tracker at all. Off (no --ip-list): every
// address. With a list, in deny mode (the default) the listed addresses are refused (a block
// list), in allow mode all but the listed ones (a LAN tracker's own networks). The handlers ask
// Admit before anything else of a request (HTTP announce, scrape and info page; every UDP
// datagram), with the client's address as the proxy protocol or X-Forwarded-For gave it; a
// ListFileReloader swaps a new list in with Replace. Owns its list. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "common/list_file.h"
#include "frontend/access/ip_list.h"
#include "frontend/access/modal_list.h"

namespace shardtrack {

// What a client is told when it is refused for its address.
inline constexpr std::string_view kAddressRefusedReason =
    "your address is not allowed on this tracker";

class IpAccess : public ModalList<IpList> {
 public:
  // What a ListFileReloader needs besides.
  static constexpr std::string_view kFileKind = "IP list";
  static constexpr std::string_view kEntryKind = "addresses and ranges";
  static Result<IpList> LoadFile(const std::string& path) {
    return LoadListFile(path, &ParseIpList);
  }
  using Loader = PlainLoader<&LoadFile>;

  IpAccess() = default;  // off: every address
  IpAccess(AccessMode mode, IpList list) : ModalList(mode, std::move(list)) {}

  std::uint64_t refused() const { return refused_; }

  // Whether `client` may be served, counting a refusal.
  bool Admit(const IpAddress& client) {
    if (Passes(list().Contains(client))) return true;
    ++refused_;
    return false;
  }

 private:
  std::uint64_t refused_ = 0;
};

}  // namespace shardtrack

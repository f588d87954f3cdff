// ClientAccess: which BitTorrent clients may announce here, by their peer ids' first bytes. Off
// (no --client-list): every client. With a list, in allow mode only the listed clients (a
// private tracker's client whitelist), in deny mode all but the listed ones (a block list). The
// handlers ask Admit once an announce is parsed (scrapes carry no peer id); a ListFileReloader
// swaps a new list in with Replace. Owns its list. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/list_file.h"
#include "frontend/access/client_list.h"
#include "frontend/access/modal_list.h"

namespace shardtrack {

// What a client is told when its announce is refused for the client it is.
inline constexpr std::string_view kClientRefusedReason =
    "your BitTorrent client is not allowed on this tracker: see the site's list of allowed "
    "clients, or update yours";

class ClientAccess : public ModalList<ClientList> {
 public:
  struct Counters {
    std::uint64_t refused_announces = 0;
  };

  // What a ListFileReloader needs besides.
  static constexpr std::string_view kFileKind = "client list";
  static constexpr std::string_view kEntryKind = "peer id prefixes";
  static Result<ClientList> LoadFile(const std::string& path) {
    return LoadListFile(path, &ParseClientList);
  }
  using Loader = PlainLoader<&LoadFile>;

  ClientAccess() = default;  // off: every client
  ClientAccess(AccessMode mode, ClientList list) : ModalList(mode, std::move(list)) {}

  const Counters& counters() const { return counters_; }

  // Whether a client sending `peer_id` may announce, counting a refusal.
  bool Admit(std::string_view peer_id) {
    if (Passes(list().Matches(peer_id))) return true;
    ++counters_.refused_announces;
    return false;
  }

 private:
  Counters counters_;
};

}  // namespace shardtrack

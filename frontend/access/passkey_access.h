// PasskeyAccess: whether this frontend serves members only (a private tracker). Off (no
// --passkey-file): everyone. On: every announce and scrape must name a passkey the file lists
// (FindPasskey in tracker_route.h: the forms other trackers' torrents carry, so a site's existing
// torrents keep working); over UDP, in BEP 41's URL data. The handlers
// ask Admit before a request is parsed; a ListFileReloader swaps a new list in with Replace.
// Owns its list. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/list_file.h"
#include "common/list_in_force.h"
#include "frontend/access/passkey_list.h"

namespace shardtrack {

// What a client is told when its request names no passkey, or one not listed.
inline constexpr std::string_view kPasskeyMissingReason =
    "this tracker needs your passkey: use the announce URL from your account, "
    "/<passkey>/announce";
inline constexpr std::string_view kPasskeyUnknownReason =
    "unknown passkey: download the torrent again from the site to get your current passkey";

class PasskeyAccess : public ListInForce<PasskeyList> {
 public:
  struct Counters {
    std::uint64_t refused_missing = 0;
    std::uint64_t refused_unknown = 0;
  };

  // What a ListFileReloader needs besides.
  static constexpr std::string_view kFileKind = "passkey file";
  static constexpr std::string_view kEntryKind = "passkeys";
  static Result<PasskeyList> LoadFile(const std::string& path) {
    return LoadListFile(path, &ParsePasskeyList);
  }
  using Loader = PlainLoader<&LoadFile>;

  PasskeyAccess() = default;  // off: no passkey needed
  explicit PasskeyAccess(PasskeyList list) : ListInForce(std::move(list)) {}

  const Counters& counters() const { return counters_; }

  // Empty when `passkey` is a member's (or passkeys are off); else why the request is refused,
  // counted. An empty `passkey` means the request named none.
  std::string_view Admit(std::string_view passkey);

 private:
  Counters counters_;
};

}  // namespace shardtrack

// Admission: the checks a tracker request passes before it goes to a shard, the same for the
// HTTP and the UDP handler. Each check is optional: a null pointer is one not configured. The
// handlers decide the order and how a refusal is answered; this only asks the lists, which
// count what they refuse. The lists and the limiter must outlive every copy. Loop thread only.
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/fixed_bytes.h"
#include "common/ip_address.h"
#include "frontend/access/client_access.h"
#include "frontend/access/ip_access.h"
#include "frontend/access/passkey_access.h"
#include "frontend/access/torrent_access.h"
#include "frontend/client_request_limiter.h"

namespace shardtrack {

struct Admission {
  IpAccess* ips = nullptr;                  // --ip-list
  ClientRequestLimiter* limiter = nullptr;  // --client-request-rate
  PasskeyAccess* passkeys = nullptr;        // --passkey-file: members only
  ClientAccess* clients = nullptr;          // --client-list
  TorrentAccess* torrents = nullptr;        // --access-list (a file or a torrent directory)

  bool members_only() const { return passkeys != nullptr; }
  bool AdmitsAddress(const IpAddress& client) const { return ips == nullptr || ips->Admit(client); }
  // Counts the request against the client's rate; false when it is over it.
  bool WithinRate(const IpAddress& client, MonoTime now) const {
    return limiter == nullptr || limiter->Admit(client, now);
  }
  // Empty when members only is off or `passkey` is a member's; else why the request is refused.
  std::string_view MemberRefusal(std::string_view passkey) const {
    return passkeys == nullptr ? std::string_view() : passkeys->Admit(passkey);
  }
  // Empty when a parsed announce may go to its shard; else why it is refused.
  std::string_view AnnounceRefusal(std::string_view peer_id, const InfoHash& info_hash) const {
    if (clients != nullptr && !clients->Admit(peer_id)) return kClientRefusedReason;
    if (torrents != nullptr && !torrents->AdmitAnnounce(info_hash)) return kNotServedReason;
    return {};
  }
};

}  // namespace shardtrack

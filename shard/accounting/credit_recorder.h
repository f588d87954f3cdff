// CreditRecorder: how the shard's service hands the accounting each announce it applied that
// named a passkey. TransferLedger credits it in memory; AccountingFlusher also logs it
// (credit_log.h), so that a crash loses none.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "shard/peer_announce.h"

namespace shardtrack {

class CreditRecorder {
 public:
  virtual ~CreditRecorder() = default;
  // `uploaded` and `downloaded`: the client's counters; `completion_counted`: the swarm counted
  // a completion for this announce.
  virtual void Credit(const PeerAnnounce& announce, std::string_view passkey,
                      std::uint64_t uploaded, std::uint64_t downloaded, bool completion_counted,
                      UnixSeconds now) = 0;
};

}  // namespace shardtrack

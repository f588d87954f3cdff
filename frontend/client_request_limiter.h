// ClientRequestLimiter: how many tracker requests each client may make (--client-request-rate a
// second on average, up to --client-request-burst at once), so that one address cannot take a
// frontend's loop for itself. A client is its CountedClient (an IPv6 client: its /64).
//
// A client's allowance is kept as one time, the generic cell rate algorithm's: when it will
// have its whole burst back. An admitted request moves that time one interval (1 s / rate)
// later; a request is refused, changing nothing, while that time is more than burst - 1
// intervals ahead of now.
//
// The table has a fixed size, so that a flood from many addresses cannot grow it: slots come in
// sets of kWays under a keyed hash. A client new to its set takes the slot whose time is
// earliest: an idle client's (its time has passed, so it holds nothing) or else the one nearest
// to idle, so a flood of one-request clients does not free a client that is far over its rate.
// A refusal is logged at most once a minute (with the count so far); time comes from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/ip_address.h"
#include "common/log_throttle.h"
#include "common/siphash.h"

namespace shardtrack {

// What a refused request is told. A client that honours BEP 31's `retry in` (--retry-in) waits
// that long; one that does not retries on its own schedule and is refused again until under
// its rate.
inline constexpr std::string_view kOverRateReason =
    "too many requests from your address, retry later";

class ClientRequestLimiter {
 public:
  static constexpr std::size_t kWays = 4;
  static constexpr std::size_t kSlots = std::size_t{1} << 16;  // 16 bytes each: 1 MiB

  // rate_per_second 0: every request is admitted and no table is kept. burst is at least 1.
  ClientRequestLimiter(std::uint32_t rate_per_second, std::uint32_t burst);

  // Counts one request of `client` at `now`; false, counting nothing, when it is over its rate.
  bool Admit(const IpAddress& client, MonoTime now);

  bool enabled() const { return rate_per_second_ != 0; }
  std::uint64_t refusals() const { return refusals_; }

 private:
  struct Slot {
    std::uint64_t tag = 0;     // the client's keyed hash, never 0; 0: empty
    std::int64_t full_at = 0;  // steady-clock ns when the client has its burst back
  };

  Slot& SlotFor(std::uint64_t hash);
  void Refuse(const IpAddress& client, MonoTime now);

  std::uint32_t rate_per_second_;
  std::uint32_t burst_;
  std::int64_t interval_ns_;
  std::int64_t tolerance_ns_;  // (burst - 1) intervals
  SipHashKey secret_;          // clients choose their addresses: they must not pick their set
  std::vector<Slot> slots_;
  std::uint64_t refusals_ = 0;
  LogThrottle refusal_log_;
};

}  // namespace shardtrack

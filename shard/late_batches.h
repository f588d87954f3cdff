// LateBatches: tells which request batches reach the shard after their frontend gave up on them.
// Such a batch was answered "retry later" already; applying it then would apply a request behind
// the client's retries (a stale `completed` after the retried one and a `stopped`: the count
// twice, the peer back), so the shard drops it.
//
// A frontend stamps each batch with its own monotonic clock, whose origin differs from the
// shard's (another machine, another boot). So per frontend the shard keeps the smallest
// (shard time - stamp) it saw lately: that is the clocks' offset plus the quickest delivery, and
// a batch's delay is how much longer it took. The smallest is taken over the current minute and
// the one before, so it follows slow drift but survives a stall of any length (a window changes
// at most once per batch). A new frontend (a new connection) has no smallest yet: its first
// batch sets it, and so do the younger ones read behind it, so batches already late when its
// connection began are not told apart until one came promptly (no clock is shared to do
// better). Pure: time comes from the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"

namespace shardtrack {

class LateBatches {
 public:
  static constexpr Duration kWindow = std::chrono::minutes(1);
  static constexpr std::size_t kForgetOver = 4096;  // frontends tracked before the idle go

  // Whether the batch `frontend` stamped `sent_ms` with a timeout of `timeout_ms` is late at
  // `now` (never when not stamped).
  bool Late(std::string_view frontend, std::uint64_t sent_ms, std::uint32_t timeout_ms,
            MonoTime now);

 private:
  struct Offsets {
    std::int64_t current = 0;   // the smallest this window
    std::int64_t previous = 0;  // and the last
    MonoTime window_start;
    MonoTime last_seen;
  };
  // Past kForgetOver frontends, at most once a window: those silent for two windows have gone
  // (a restarted or reconnected frontend has a new identity).
  void ForgetGone(MonoTime now);

  std::unordered_map<std::string, Offsets> frontends_;
  MonoTime next_forget_{};
};

}  // namespace shardtrack

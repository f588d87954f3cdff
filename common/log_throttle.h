// LogThrottle: lets a repeated warning through at most once per interval, so that a flood of one
// event (refused connections, malformed messages, clients over their rate) is counted in full but
// costs the log a line a minute. Pure: time comes from the caller.
#pragma once

#include <chrono>

#include "common/clock.h"

namespace shardtrack {

class LogThrottle {
 public:
  explicit LogThrottle(Duration interval = std::chrono::minutes(1)) : interval_(interval) {}

  // True for the first call, then at most once per interval. A time before the last line let
  // through (a wall clock set back, read by the shard's service) lets the next one through.
  bool Due(MonoTime now) {
    if (started_ && now < next_ && now >= next_ - interval_) return false;
    started_ = true;
    next_ = now + interval_;
    return true;
  }

 private:
  Duration interval_;
  MonoTime next_{};
  bool started_ = false;
};

}  // namespace shardtrack

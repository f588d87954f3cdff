// AnnounceInterval: the interval each announce reply asks for. --announce-interval, spread
// evenly over --interval-jitter seconds around it (never below --min-interval), so that clients
// that announced together (when the tracker or their network came back) drift apart instead of
// all returning at once every interval; opentracker spreads its intervals the same way.
// Loop thread only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "common/fast_rng.h"
#include "frontend/frontend_settings.h"

namespace shardtrack {

class AnnounceInterval {
 public:
  AnnounceInterval(std::uint32_t interval, std::uint32_t jitter, std::uint32_t min_interval,
                   std::uint64_t seed)
      : lowest_(std::max(interval - std::min(interval, jitter / 2), min_interval)),
        spread_(static_cast<std::uint32_t>(
            std::min<std::uint64_t>(std::uint64_t{interval} + (jitter - jitter / 2),
                                    std::numeric_limits<std::uint32_t>::max()) -
            lowest_)),
        rng_(seed) {}

  std::uint32_t Next() { return lowest_ + (spread_ == 0 ? 0 : rng_.Below(spread_ + 1)); }
  std::uint32_t longest() const { return lowest_ + spread_; }

 private:
  std::uint32_t lowest_;
  std::uint32_t spread_;  // the highest is lowest_ + spread_
  FastRng rng_;
};

// A frontend's, from its settings (a jitter over --announce-interval is taken as that), seeded
// anew in each process.
AnnounceInterval IntervalOf(const FrontendSettings& settings);

}  // namespace shardtrack

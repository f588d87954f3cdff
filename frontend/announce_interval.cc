#include "frontend/announce_interval.h"

#include <algorithm>
#include <random>

namespace shardtrack {

AnnounceInterval IntervalOf(const FrontendSettings& settings) {
  return AnnounceInterval(settings.announce_interval,
                          std::min(settings.interval_jitter, settings.announce_interval),
                          settings.min_interval, std::random_device{}());
}

}  // namespace shardtrack

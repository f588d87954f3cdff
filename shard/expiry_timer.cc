#include "shard/expiry_timer.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace shardtrack {

ExpiryTimer::ExpiryTimer(EventLoop& loop, const ExpirySweep::Options& options, SwarmStore& store,
                         GroupCommit& commit)
    : loop_(loop), store_(store), commit_(commit), sweep_(options) {}

void ExpiryTimer::Start() {
  timer_ = loop_.RunAfter(sweep_.GapFor(store_.torrents()), [this] { RunSlice(); });
}

void ExpiryTimer::Stop() {
  if (timer_ != 0) loop_.Cancel(timer_);
  timer_ = 0;
}

void ExpiryTimer::RunSlice() {
  const std::uint64_t laps = sweep_.stats().laps;
  const Duration gap = sweep_.RunSlice(store_, loop_.clock());
  commit_.WriteRetired(sweep_.retired());
  if (sweep_.stats().laps != laps) WarnIfLapOverran();
  timer_ = loop_.RunAfter(gap, [this] { RunSlice(); });
}

void ExpiryTimer::WarnIfLapOverran() const {
  if (!sweep_.LastLapOverran()) return;
  using Seconds = std::chrono::duration<double>;
  spdlog::warn(
      "expiry took {:.0f} s to sweep {} torrents, over --expire-lap {:.0f} s: dead peers stay "
      "listed that long; raise --expire-slice or add shards (unless the shard was paused or "
      "starved of CPU meanwhile)",
      Seconds(sweep_.stats().last_lap).count(), store_.torrents(),
      Seconds(sweep_.options().max_lap).count());
}

}  // namespace shardtrack

#include "shard/expiry_sweep.h"

#include <algorithm>

namespace shardtrack {

Duration ExpirySweep::RunSlice(SwarmStore& store, UnixSeconds wall_now, MonoTime mono_now) {
  if (!lap_started_) lap_started_ = mono_now;
  const ExpireProgress progress =
      store.ExpireSlice(wall_now, options_.peer_timeout, options_.slice);
  stats_.peers_expired += progress.peers_removed;
  stats_.torrents_forgotten += progress.torrents_removed;
  if (progress.lap_finished) {  // a lap runs from the end of the last one to the end of this
    ++stats_.laps;
    stats_.last_lap = mono_now - *lap_started_;
    lap_started_ = mono_now;
  }
  stats_.gap = GapFor(store.torrents());
  return stats_.gap;
}

Duration ExpirySweep::GapFor(std::size_t torrents) const {
  const auto slices_per_lap =
      static_cast<Duration::rep>((torrents + options_.slice - 1) / options_.slice);
  if (slices_per_lap == 0 || options_.interval * slices_per_lap <= options_.max_lap) {
    return options_.interval;
  }
  return std::max(kMinGap, options_.max_lap / slices_per_lap);
}

}  // namespace shardtrack

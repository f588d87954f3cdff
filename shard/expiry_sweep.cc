#include "shard/expiry_sweep.h"

#include <algorithm>
#include <utility>

namespace shardtrack {

Duration ExpirySweep::RunSlice(SwarmStore& store, const Clock& clock) {
  const MonoTime started = clock.Now();
  if (!lap_started_) lap_started_ = started;
  ExpireProgress progress = store.ExpireSlice(clock.WallNow(), options_.peer_timeout,
                                              options_.slice, options_.torrent_retention);
  const MonoTime ended = clock.Now();
  const Duration took = ended - started;
  stats_.peers_expired += progress.peers_removed;
  stats_.torrents_forgotten += progress.torrents_removed;
  stats_.torrents_retired += progress.retired.size();
  retired_ = std::move(progress.retired);
  lap_longest_slice_ = std::max(lap_longest_slice_, took);
  if (progress.lap_finished) {  // a lap runs from the end of the last one to the end of this
    ++stats_.laps;
    stats_.last_lap = ended - *lap_started_;
    stats_.longest_slice = std::exchange(lap_longest_slice_, Duration::zero());
    lap_started_ = ended;
  }
  // A lap keeps the pace it started with while torrents are forgotten (each is swept once): a
  // pace eased mid-lap would stretch that lap past the bound. A table that grows speeds it up.
  const Duration pace = GapFor(store.torrents());
  stats_.gap = progress.lap_finished ? pace : std::min(stats_.gap, pace);  // starts at interval
  // Paced from this slice's start, so a long slice does not slow the lap down either.
  return std::max(kMinGap, stats_.gap - took);
}

Duration ExpirySweep::GapFor(std::size_t torrents) const {
  // An empty table counts as one slice: a torrent that comes while the sweep waits is swept
  // within the bound too (an --expire-interval over --expire-lap would hold it up).
  const auto slices_per_lap = std::max<Duration::rep>(
      1, static_cast<Duration::rep>((torrents + options_.slice - 1) / options_.slice));
  if (options_.interval * slices_per_lap <= options_.max_lap) return options_.interval;
  return std::max(kMinGap, options_.max_lap / slices_per_lap);
}

}  // namespace shardtrack

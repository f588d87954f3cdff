// ExpirySweep: paces the expiry of dead peers over all of a shard's torrents, and counts what it
// removed. A slice examines at most `slice` torrents, which bounds the loop's pause. Slices come
// every `interval`; when the shard holds more torrents than that pace covers in `max_lap`, they
// come faster (never closer than kMinGap), so a lap fits `max_lap` however many torrents there
// are. A dead peer waits for the sweep's next pass over its place: about a lap, up to two when
// consecutive laps differ (a mass expiry shrinking the table). A lap keeps the pace it started
// with, and slices are paced from their start. Pure: the caller runs it from a timer, with a
// clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"
#include "shard/swarm_store.h"

namespace shardtrack {

class ExpirySweep {
 public:
  // Keeps a shard with a very large table from spending all its time expiring.
  static constexpr Duration kMinGap = std::chrono::milliseconds(10);

  struct Options {
    std::int64_t peer_timeout = 2700;  // seconds
    Duration interval = std::chrono::seconds(5);
    std::size_t slice = 20000;
    Duration max_lap = std::chrono::seconds(270);
    std::int64_t torrent_retention = 0;  // seconds; 0: torrents with completions stay
  };

  struct Stats {
    std::uint64_t peers_expired = 0;
    std::uint64_t torrents_forgotten = 0;       // the retired included
    std::uint64_t torrents_retired = 0;         // forgotten with completions (torrent_retention)
    std::uint64_t laps = 0;                     // sweeps that reached the end of the table
    Duration last_lap = Duration::zero();       // how long the last whole sweep took
    Duration longest_slice = Duration::zero();  // the loop's longest pause in that sweep
    Duration gap = Duration::zero();            // between the last slice and the next
  };

  explicit ExpirySweep(const Options& options) : options_(options) {
    stats_.gap = options.interval;
  }

  // Runs one slice: peers' times are compared with the clock's wall time; slices and laps are
  // timed with its monotonic time. Returns the delay before the next slice: the gap less the
  // time this slice took.
  Duration RunSlice(SwarmStore& store, const Clock& clock);
  // The delay between slices for a table of `torrents`.
  Duration GapFor(std::size_t torrents) const;

  const Stats& stats() const { return stats_; }
  // The torrents the last slice forgot with their completions, for the journal.
  const std::vector<InfoHash>& retired() const { return retired_; }
  // The last lap took over half again --expire-lap: slices at kMinGap cannot keep up with the
  // table, or the loop ran them late. The operator should raise the slice or add shards.
  bool LastLapOverran() const { return stats_.last_lap > options_.max_lap * 3 / 2; }
  const Options& options() const { return options_; }

 private:
  Options options_;
  Stats stats_;
  std::vector<InfoHash> retired_;
  std::optional<MonoTime> lap_started_;            // the first slice, then the end of the last lap
  Duration lap_longest_slice_ = Duration::zero();  // so far in the running lap
};

}  // namespace shardtrack

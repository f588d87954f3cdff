// ExpiryTimer: runs a shard's ExpirySweep on the loop, one bounded slice at the pace the sweep
// sets, so that expiry never stalls replies. The torrents a slice retired go to the journal
// through the GroupCommit (a failed write stops the shard), and a lap that overran --expire-lap
// is said. Loop thread only.
#pragma once

#include <vector>

#include "common/reactor/event_loop.h"
#include "shard/expiry_sweep.h"
#include "shard/group_commit.h"
#include "shard/swarm_store.h"

namespace shardtrack {

class ExpiryTimer {
 public:
  // `store` and `commit` must outlive the timer.
  ExpiryTimer(EventLoop& loop, const ExpirySweep::Options& options, SwarmStore& store,
              GroupCommit& commit);
  ~ExpiryTimer() { Stop(); }
  ExpiryTimer(const ExpiryTimer&) = delete;
  ExpiryTimer& operator=(const ExpiryTimer&) = delete;

  void Start();
  void Stop();  // no slice runs after it
  const ExpirySweep::Stats& stats() const { return sweep_.stats(); }

 private:
  void RunSlice();
  void WarnIfLapOverran() const;

  EventLoop& loop_;
  SwarmStore& store_;
  GroupCommit& commit_;
  ExpirySweep sweep_;
  TimerId timer_ = 0;
};

}  // namespace shardtrack

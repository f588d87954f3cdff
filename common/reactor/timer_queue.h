// TimerQueue: tasks ordered by due time (RawServer's add_task / pop_due). Pure: it reads no
// clock; the caller says what time it is. The nodes of timers that ran or were cancelled are kept
// for the next ones, so a loop that arms a timer every turn (a deferred flush, a deadline)
// allocates nothing once warm.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include "common/clock.h"
#include "common/node_pool.h"

namespace shardtrack {

using TimerId = std::uint64_t;

class TimerQueue {
 public:
  using Task = std::function<void()>;

  TimerId Add(MonoTime when, Task task);
  // Returns false if the timer already ran or was cancelled.
  bool Cancel(TimerId id);
  // When the earliest task is due, if any.
  std::optional<MonoTime> NextDue() const;
  // Removes and runs every task due at or before `now`, in due order (ties in insertion order).
  // A task added while running with a due time <= now runs in a later call, never this one.
  // A task that throws is logged (spdlog::error) and the others still run.
  std::size_t RunDue(MonoTime now);
  std::size_t size() const { return by_id_.size(); }

 private:
  using Key = std::pair<MonoTime, TimerId>;
  using DueMap = std::map<Key, Task>;
  using IdMap = std::unordered_map<TimerId, MonoTime>;

  // Takes the timer out of both maps, keeping their nodes; returns its task.
  Task Remove(DueMap::iterator due);

  DueMap by_due_;
  IdMap by_id_;
  NodePool<DueMap> spare_due_;
  NodePool<IdMap> spare_ids_;
  TimerId next_id_ = 1;
};

}  // namespace shardtrack

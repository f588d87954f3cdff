// TimerQueue: tasks ordered by due time (RawServer's add_task / pop_due). Pure: it reads no
// clock; the caller says what time it is.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include "common/clock.h"

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
  std::map<Key, Task> by_due_;
  std::unordered_map<TimerId, MonoTime> by_id_;
  TimerId next_id_ = 1;
};

}  // namespace shardtrack

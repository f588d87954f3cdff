#include "common/reactor/timer_queue.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace shardtrack {

TimerId TimerQueue::Add(MonoTime when, Task task) {
  const TimerId id = next_id_++;
  by_due_.emplace(Key{when, id}, std::move(task));
  by_id_.emplace(id, when);
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  by_due_.erase(Key{it->second, id});
  by_id_.erase(it);
  return true;
}

std::optional<MonoTime> TimerQueue::NextDue() const {
  if (by_due_.empty()) return std::nullopt;
  return by_due_.begin()->first.first;
}

std::size_t TimerQueue::RunDue(MonoTime now) {
  // Ids grow monotonically, so every timer added while this call runs has an id >= `first_new`
  // and is left for a later call. A task may cancel or add timers, so the position is re-found
  // by key after each task instead of keeping an iterator across it.
  const TimerId first_new = next_id_;
  std::size_t ran = 0;
  auto it = by_due_.begin();
  while (it != by_due_.end() && it->first.first <= now) {
    if (it->first.second >= first_new) {
      ++it;
      continue;
    }
    const Key key = it->first;
    Task task = std::move(it->second);
    by_due_.erase(it);
    by_id_.erase(key.second);
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("timer task threw: {}", e.what());
    } catch (...) {
      spdlog::error("timer task threw a non-standard exception");
    }
    ++ran;
    it = by_due_.upper_bound(key);
  }
  return ran;
}

}  // namespace shardtrack

#include "common/reactor/timer_queue.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace shardtrack {

TimerId TimerQueue::Add(MonoTime when, Task task) {
  const TimerId id = next_id_++;
  spare_due_.Insert(by_due_, Key{when, id}, [] { return Task(); })->second = std::move(task);
  spare_ids_.Insert(by_id_, id, [] { return MonoTime(); })->second = when;
  return id;
}

bool TimerQueue::Cancel(TimerId id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  Remove(by_due_.find(Key{it->second, id}));
  return true;
}

TimerQueue::Task TimerQueue::Remove(DueMap::iterator due) {
  spare_ids_.Keep(by_id_.extract(due->first.second));
  auto node = by_due_.extract(due);
  Task task = std::move(node.mapped());
  node.mapped() = nullptr;  // a kept node holds no task's captures
  spare_due_.Keep(std::move(node));
  return task;
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
    Task task = Remove(it);
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

// PeriodicTimer: runs a task on an EventLoop every `period` for as long as it lives; destroying it
// cancels the next run. For sweeps that look over every connection now and then.
#pragma once

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/clock.h"
#include "common/reactor/event_loop.h"

namespace shardtrack {

// The period of a sweep for a time limit: a quarter of it (at least 10 ms), so that whatever
// passes the limit is found within 1.25 times it.
inline Duration SweepPeriodFor(Duration limit) {
  return std::max<Duration>(limit / 4, std::chrono::milliseconds(10));
}

class PeriodicTimer {
 public:
  PeriodicTimer(EventLoop& loop, Duration period, EventLoop::Task task)
      : loop_(loop), period_(period), task_(std::move(task)) {
    Arm();
  }
  ~PeriodicTimer() { loop_.Cancel(next_); }
  PeriodicTimer(const PeriodicTimer&) = delete;
  PeriodicTimer& operator=(const PeriodicTimer&) = delete;

 private:
  void Arm() {
    next_ = loop_.RunAfter(period_, [this] {
      Arm();
      task_();
    });
  }

  EventLoop& loop_;
  Duration period_;
  EventLoop::Task task_;
  TimerId next_ = 0;
};

}  // namespace shardtrack

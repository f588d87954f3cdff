// Clock: the one seam through which time enters the system, so tests can fake it.
//
// Monotonic time drives timers (idle connections, shard deadlines). Wall time (Unix seconds)
// stamps peers, because it must survive a restart of the process.
#pragma once

#include <chrono>
#include <cstdint>

namespace shardtrack {

using MonoTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;
using UnixSeconds = std::int64_t;

// The longest time a setting may name: ten years. Longer is a typo, and a few hundred years
// would overflow a Duration's nanoseconds into a time already past.
inline constexpr std::int64_t kLongestSettingSeconds = 10LL * 365 * 24 * 3600;

// A monotonic time in milliseconds since its clock's origin (which differs between machines and
// boots): what crosses a process boundary, as a frontend's batch stamp (shard/late_batches.h).
inline std::int64_t MonoMillis(MonoTime time) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime Now() const = 0;
  virtual UnixSeconds WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  MonoTime Now() const override { return std::chrono::steady_clock::now(); }
  UnixSeconds WallNow() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to. For tests.
class FakeClock final : public Clock {
 public:
  MonoTime Now() const override { return mono_; }
  UnixSeconds WallNow() const override { return wall_; }
  void Advance(Duration by) {
    mono_ += by;
    wall_ += std::chrono::duration_cast<std::chrono::seconds>(by).count();
  }
  void SetWall(UnixSeconds wall) { wall_ = wall; }

 private:
  MonoTime mono_{};
  UnixSeconds wall_ = 1'700'000'000;
};

}  // namespace shardtrack

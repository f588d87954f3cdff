#include "shard/late_batches.h"

#include <algorithm>

namespace shardtrack {

bool LateBatches::Late(std::string_view frontend, std::uint64_t sent_ms, std::uint32_t timeout_ms,
                       MonoTime now) {
  if (sent_ms == 0 || timeout_ms == 0) return false;
  const std::int64_t offset = MonoMillis(now) - static_cast<std::int64_t>(sent_ms);
  Offsets& seen = frontends_.try_emplace(std::string(frontend), Offsets{offset, offset, now, now})
                      .first->second;
  seen.last_seen = now;
  if (now - seen.window_start >= kWindow) {
    seen.previous = seen.current;
    seen.current = offset;
    seen.window_start = now;
  }
  seen.current = std::min(seen.current, offset);
  const bool late = offset - std::min(seen.current, seen.previous) > timeout_ms;
  if (frontends_.size() > kForgetOver && now >= next_forget_) ForgetGone(now);
  return late;
}

void LateBatches::ForgetGone(MonoTime now) {
  next_forget_ = now + kWindow;
  std::erase_if(frontends_,
                [now](const auto& entry) { return now - entry.second.last_seen >= 2 * kWindow; });
}

}  // namespace shardtrack

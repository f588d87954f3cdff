#include "frontend/client_request_limiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "frontend/counted_client.h"

namespace shardtrack {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t Nanos(MonoTime time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

ClientRequestLimiter::ClientRequestLimiter(std::uint32_t rate_per_second, std::uint32_t burst)
    : rate_per_second_(rate_per_second),
      burst_(std::max<std::uint32_t>(burst, 1)),
      // Past a billion a second the interval would round to 0 ns: keep it at 1 ns.
      interval_ns_(
          std::max<std::int64_t>(kNanosPerSecond / std::max<std::uint32_t>(rate_per_second, 1), 1)),
      tolerance_ns_(interval_ns_ * (burst_ - 1)),
      secret_(RandomSipHashKey()) {
  if (enabled()) slots_.resize(kSlots);
}

bool ClientRequestLimiter::Admit(const IpAddress& client, MonoTime now) {
  if (!enabled()) return true;
  Slot& slot = SlotFor(SipHash24(secret_, CountedClient(client).raw()));
  const std::int64_t at = Nanos(now);
  const std::int64_t from = std::max(slot.full_at, at);
  if (from - at > tolerance_ns_) {
    Refuse(client, now);
    return false;
  }
  slot.full_at = from + interval_ns_;
  return true;
}

void ClientRequestLimiter::Refuse(const IpAddress& client, MonoTime now) {
  ++refusals_;
  if (!refusal_log_.Due(now)) return;
  spdlog::warn(
      "refused a request from {}: over --client-request-rate {} a second ({} at once); {} refused "
      "so far; at most one such line a minute",
      client.ToString(), rate_per_second_, burst_, refusals_);
}

ClientRequestLimiter::Slot& ClientRequestLimiter::SlotFor(std::uint64_t hash) {
  const std::uint64_t tag = hash | 1;
  const std::size_t first = (hash >> 1) % (kSlots / kWays) * kWays;
  Slot* earliest = &slots_[first];
  for (std::size_t way = 0; way < kWays; ++way) {
    Slot& slot = slots_[first + way];
    if (slot.tag == tag) return slot;
    if (slot.full_at < earliest->full_at) earliest = &slot;
  }
  *earliest = Slot{tag, 0};
  return *earliest;
}

}  // namespace shardtrack

#include "frontend/udp/udp_connection_ids.h"

#include <string>
#include <string_view>

#include "common/siphash.h"

namespace shardtrack {
namespace {

std::int64_t SlotOf(MonoTime now) { return now.time_since_epoch() / UdpConnectionIds::kSlot; }

}  // namespace

UdpConnectionIds UdpConnectionIds::WithRandomSecret() {
  return UdpConnectionIds(RandomSipHashKey());
}

std::uint64_t UdpConnectionIds::Issue(const Endpoint& client, MonoTime now) const {
  return IdFor(client, SlotOf(now));
}

bool UdpConnectionIds::Valid(std::uint64_t id, const Endpoint& client, MonoTime now) const {
  const std::int64_t slot = SlotOf(now);
  return id == IdFor(client, slot) || id == IdFor(client, slot - 1);
}

std::uint64_t UdpConnectionIds::IdFor(const Endpoint& client, std::int64_t slot) const {
  std::string message(client.address.raw());
  message.push_back(static_cast<char>(client.port >> 8));
  message.push_back(static_cast<char>(client.port & 0xff));
  for (int i = 0; i < 8; ++i) message.push_back(static_cast<char>(slot >> (8 * i)));
  return SipHash24(secret_, message);
}

}  // namespace shardtrack

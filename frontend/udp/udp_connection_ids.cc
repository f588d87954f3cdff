#include "frontend/udp/udp_connection_ids.h"

#include <array>
#include <cstring>
#include <string>

namespace shardtrack {
namespace {

std::int64_t SlotOf(UnixSeconds now) {
  constexpr std::int64_t kSlotSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(UdpConnectionIds::kSlot).count();
  return now / kSlotSeconds;
}

// Fixed keys that turn a shared secret into the ids' key; any constants do, as long as every
// frontend uses the same.
constexpr SipHashKey kDeriveFirst = {0x7368617264747261, 0x636b2d7564702d31};
constexpr SipHashKey kDeriveSecond = {0x7368617264747261, 0x636b2d7564702d32};

}  // namespace

UdpConnectionIds UdpConnectionIds::WithRandomSecret() {
  return UdpConnectionIds(RandomSipHashKey());
}

Result<UdpConnectionIds> UdpConnectionIds::FromSharedSecret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes) {
    return Error{"the secret has " + std::to_string(secret.size()) + " bytes, fewer than " +
                 std::to_string(kMinSecretBytes)};
  }
  return UdpConnectionIds({SipHash24(kDeriveFirst, secret), SipHash24(kDeriveSecond, secret)});
}

std::uint64_t UdpConnectionIds::Issue(const IpAddress& client, UnixSeconds now) const {
  return IdFor(client, SlotOf(now));
}

bool UdpConnectionIds::Valid(std::uint64_t id, const IpAddress& client, UnixSeconds now) const {
  const std::int64_t slot = SlotOf(now);
  return id == IdFor(client, slot) || id == IdFor(client, slot - 1) ||
         id == IdFor(client, slot + 1);
}

std::uint64_t UdpConnectionIds::IdFor(const IpAddress& client, std::int64_t slot) const {
  // address, slot: at most 24 bytes, on the stack (every UDP request checks an id)
  std::array<char, 16 + 8> message{};
  const std::string_view address = client.raw();
  std::memcpy(message.data(), address.data(), address.size());
  std::size_t size = address.size();
  for (int i = 0; i < 8; ++i) message[size++] = static_cast<char>(slot >> (8 * i));
  return SipHash24(key_, {message.data(), size});
}

}  // namespace shardtrack

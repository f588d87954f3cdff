#include "frontend/udp/udp_connection_ids.h"

#include <random>
#include <string>
#include <string_view>

namespace shardtrack {
namespace {

std::uint64_t Rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13) ^ v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16) ^ v2;
    v0 += v3;
    v3 = Rotl(v3, 21) ^ v0;
    v2 += v1;
    v1 = Rotl(v1, 17) ^ v2;
    v2 = Rotl(v2, 32);
  }
  void Absorb(std::uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

// SipHash-2-4 (Aumasson & Bernstein, 2012) of `data` under the 128-bit key k0, k1.
std::uint64_t SipHash24(std::uint64_t k0, std::uint64_t k1, std::string_view data) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const std::size_t whole = data.size() / 8 * 8;
  auto load = [&](std::size_t at, std::size_t count) {
    std::uint64_t m = 0;
    for (std::size_t i = 0; i < count; ++i) {
      m |= static_cast<std::uint64_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
    }
    return m;
  };
  for (std::size_t at = 0; at < whole; at += 8) s.Absorb(load(at, 8));
  s.Absorb(load(whole, data.size() - whole) | (static_cast<std::uint64_t>(data.size()) << 56));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::int64_t SlotOf(MonoTime now) { return now.time_since_epoch() / UdpConnectionIds::kSlot; }

}  // namespace

UdpConnectionIds UdpConnectionIds::WithRandomSecret() {
  std::random_device device;
  auto word = [&] { return (static_cast<std::uint64_t>(device()) << 32) | device(); };
  return UdpConnectionIds({word(), word()});
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
  return SipHash24(secret_[0], secret_[1], message);
}

}  // namespace shardtrack

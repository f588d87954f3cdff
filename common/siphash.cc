#include "common/siphash.h"

#include <random>

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

}  // namespace

std::uint64_t SipHash24(const SipHashKey& key, std::string_view data) {
  const std::uint64_t k0 = key[0];
  const std::uint64_t k1 = key[1];
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

SipHashKey RandomSipHashKey() {
  std::random_device device;
  auto word = [&] { return (static_cast<std::uint64_t>(device()) << 32) | device(); };
  return {word(), word()};
}

}  // namespace shardtrack

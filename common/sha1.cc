#include "common/sha1.h"

#include <array>
#include <cstdint>

#include "common/digest_blocks.h"

namespace shardtrack {
namespace {

using State = std::array<std::uint32_t, 5>;

void Compress(State& state, const std::uint8_t* block) {
  std::array<std::uint32_t, 80> w;
  for (int t = 0; t < 16; ++t) w[t] = LoadBigEndian32(block + 4 * t);
  for (int t = 16; t < 80; ++t) w[t] = RotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

  auto [a, b, c, d, e] = state;
  for (int t = 0; t < 80; ++t) {
    std::uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d), k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d, k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d, k = 0xca62c1d6;
    }
    const std::uint32_t next = RotateLeft(a, 5) + f + e + k + w[t];
    e = d, d = c, c = RotateLeft(b, 30), b = a, a = next;
  }
  state[0] += a, state[1] += b, state[2] += c, state[3] += d, state[4] += e;
}

}  // namespace

FixedBytes<20> Sha1(std::string_view message) {
  State state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  ForEachPaddedBlock(message, [&state](const std::uint8_t* block) { Compress(state, block); });
  FixedBytes<20> digest;
  for (std::size_t i = 0; i < state.size(); ++i) StoreBigEndian32(state[i], &digest.bytes[4 * i]);
  return digest;
}

}  // namespace shardtrack

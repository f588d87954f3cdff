#include "shard/persistence/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace shardtrack {
namespace {

constexpr std::uint32_t kReflectedPolynomial = 0x82f63b78;

constexpr std::array<std::uint32_t, 256> MakeTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t value = i;
    for (int bit = 0; bit < 8; ++bit) {
      value = (value & 1) ? (value >> 1) ^ kReflectedPolynomial : value >> 1;
    }
    table[i] = value;
  }
  return table;
}

constexpr std::array<std::uint32_t, 256> kTable = MakeTable();

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes this very polynomial, eight bytes at a time.
__attribute__((target("sse4.2"))) std::uint32_t Crc32cSse42(std::string_view data,
                                                            std::uint32_t crc) {
  const char* next = data.data();
  std::size_t left = data.size();
  std::uint64_t wide = ~crc;
  for (; left >= 8; left -= 8, next += 8) {
    std::uint64_t word;
    std::memcpy(&word, next, sizeof word);
    wide = _mm_crc32_u64(wide, word);
  }
  auto narrow = static_cast<std::uint32_t>(wide);
  for (; left > 0; --left, ++next) narrow = _mm_crc32_u8(narrow, static_cast<std::uint8_t>(*next));
  return ~narrow;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

std::uint32_t Crc32cBytewise(std::string_view data, std::uint32_t crc) {
  crc = ~crc;
  for (char c : data) {
    crc = kTable[(crc ^ static_cast<std::uint8_t>(c)) & 0xff] ^ (crc >> 8);
  }
  return ~crc;
}

std::uint32_t Crc32c(std::string_view data, std::uint32_t crc) {
#if defined(__x86_64__)
  if (HasSse42()) return Crc32cSse42(data, crc);
#endif
  return Crc32cBytewise(data, crc);
}

}  // namespace shardtrack

// Unsigned values of 1 to 4 bytes kept little-endian in packed byte arrays (a swarm's entries and
// header, an index's slots), read and written where they lie, unaligned. Pure.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace shardtrack {

// On a little-endian host a value is its own low bytes: one copy (GCC makes a byte loop of the
// shifts).
template <std::size_t kBytes>
std::uint32_t LoadLittleEndian(const std::uint8_t* from) {
  static_assert(kBytes >= 1 && kBytes <= 4);
  std::uint32_t value = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&value, from, kBytes);
  } else {
    for (std::size_t i = 0; i < kBytes; ++i) value |= std::uint32_t{from[i]} << (8 * i);
  }
  return value;
}

// Writes the low kBytes bytes of `value`.
template <std::size_t kBytes>
void StoreLittleEndian(std::uint8_t* to, std::uint32_t value) {
  static_assert(kBytes >= 1 && kBytes <= 4);
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(to, &value, kBytes);
  } else {
    for (std::size_t i = 0; i < kBytes; ++i) to[i] = static_cast<std::uint8_t>(value >> (8 * i));
  }
}

}  // namespace shardtrack

// ScaledFraction: 32 random or hashed bits read as a fraction of 2^32 and scaled to [0, range)
// by a multiply and a shift, no division. Monotonic in the bits (an ordered table's homes stay in
// order at any capacity) and as even as the bits are (a random bound's bias is below
// range / 2^32). `range` must be below 2^32.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shardtrack {

inline std::size_t ScaledFraction(std::uint32_t fraction, std::size_t range) {
  return static_cast<std::size_t>((std::uint64_t{fraction} * range) >> 32);
}

}  // namespace shardtrack

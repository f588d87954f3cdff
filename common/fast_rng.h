// FastRng: a small, fast pseudo-random generator (SplitMix64) for peer selection and interval
// jitter. Not for anything secret. The caller seeds it, so tests are repeatable. Pure value type.
#pragma once

#include <cstdint>

#include "common/scaled_fraction.h"

namespace shardtrack {

class FastRng {
 public:
  explicit FastRng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // A value in [0, bound); `bound` must be at least 1. Its bias is below bound / 2^32, far too
  // small to matter for choosing peers.
  std::uint32_t Below(std::uint32_t bound) {
    return static_cast<std::uint32_t>(
        ScaledFraction(static_cast<std::uint32_t>(Next() >> 32), bound));
  }

 private:
  std::uint64_t state_;
};

}  // namespace shardtrack

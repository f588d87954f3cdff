// ClampTo32: a count or a Unix time squeezed into the 32 bits a swarm, a peer entry or a reply
// field holds: saturated at the top (4 billion completions; Unix seconds until 2106), and a
// negative time at 0. Pure.
#pragma once

#include <algorithm>
#include <cstdint>

namespace shardtrack {

inline std::uint32_t ClampTo32(std::uint64_t value) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(value, UINT32_MAX));
}

inline std::uint32_t ClampTo32(std::int64_t value) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(value, 0, UINT32_MAX));
}

}  // namespace shardtrack

// SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed 64-bit hash. Whoever does not know the
// 128-bit key cannot predict or collide its outputs, so it turns attacker-chosen input (an
// infohash, a client address) into well-spread values. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace shardtrack {

using SipHashKey = std::array<std::uint64_t, 2>;

std::uint64_t SipHash24(const SipHashKey& key, std::string_view data);

// A key from std::random_device, for a process's own secrets.
SipHashKey RandomSipHashKey();

}  // namespace shardtrack

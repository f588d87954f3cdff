// Bounds a shard puts on what one reply carries, whatever a frontend asks, so that a frontend
// (or anyone who reaches the shard's socket) cannot make it build huge replies. A frontend
// refuses at start a setting that asks for more, instead of being cut short silently.
#pragma once

#include <cstdint>

namespace shardtrack {

// Peers in one announce reply: --max-give may be at most this (the original tracker's max_give
// was 200, and a reply of 10,000 IPv4 peers is already 60 KB).
inline constexpr std::uint32_t kMaxPeersPerReply = 10000;

// Torrents a shard lists for the info page: --info-page-torrents may be at most this.
inline constexpr std::uint32_t kMaxInfoPageTorrents = 1000;

}  // namespace shardtrack

// The size of the batches a frontend sends a shard. A shard closes a connection whose message is
// larger than its --max-message-bytes (libzmq would otherwise take any size a frame's header
// claims, before CURVE admits anyone), so a frontend sends a turn's batch in parts below that.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shardtrack {

// A frontend ends a part once it reaches this many bytes, so a part is at most this plus one
// request (a scrape of --max-scrape-hashes: 1.5 KiB at the default 64).
inline constexpr std::size_t kMaxBatchPartBytes = std::size_t{1} << 20;

// The least a shard's --max-message-bytes may be: a part and a quarter more.
inline constexpr std::size_t kMinMaxMessageBytes = kMaxBatchPartBytes + kMaxBatchPartBytes / 4;

// The widest scrape --max-scrape-hashes may allow: 22 bytes an infohash on the wire, so one
// request stays under a quarter of a part.
inline constexpr std::uint32_t kMaxScrapeHashes = 10'000;

}  // namespace shardtrack

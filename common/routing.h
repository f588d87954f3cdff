// The routing function: which shard owns a torrent. The same in every process.
//
// Jump consistent hash (Lamping & Veach, 2014) of the infohash's first 8 bytes read as a
// big-endian unsigned 64-bit integer. Going from N to N+1 shards moves only 1/(N+1) of the
// torrents, all of them to the new shard. Pure.
#pragma once

#include <cstdint>

#include "common/fixed_bytes.h"

namespace shardtrack {

// Maps `key` to a bucket in [0, buckets). `buckets` must be at least 1.
std::uint32_t JumpConsistentHash(std::uint64_t key, std::uint32_t buckets);

// The shard index in [0, shard_count) that owns `info_hash`.
std::uint32_t ShardFor(const InfoHash& info_hash, std::uint32_t shard_count);

}  // namespace shardtrack

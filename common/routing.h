// The routing function: which shard owns a torrent. The same in every process.
//
// Jump consistent hash (Lamping & Veach, 2014) of the infohash's first 8 bytes read as a
// big-endian unsigned 64-bit integer. Going from N to N+1 shards moves only 1/(N+1) of the
// torrents, all of them to the new shard. Pure.
#pragma once

#include <cstdint>

#include "common/fixed_bytes.h"

namespace shardtrack {

// The most shards a cluster runs: each frontend holds a socket to every one, and a shard's start
// checks every shard of its count against the files of other counts.
inline constexpr std::uint32_t kMaxShardCount = 65536;

// Maps `key` to a bucket in [0, buckets). `buckets` must be at least 1.
std::uint32_t JumpConsistentHash(std::uint64_t key, std::uint32_t buckets);

// The shard index in [0, shard_count) that owns `info_hash`.
std::uint32_t ShardFor(const InfoHash& info_hash, std::uint32_t shard_count);

// Whether some info hash may route both to shard `a` of `a_count` and to shard `b` of `b_count`:
// whether, across a change of shard count, the files of one may hold torrents the other owns.
// Growing the count keeps a torrent on its shard or moves it to one of the shards added.
bool MayRouteToBoth(std::uint32_t a, std::uint32_t a_count, std::uint32_t b, std::uint32_t b_count);

// How many shards of `count` MayRouteToBoth shard `index` of `owner_count`: without trying each,
// since a count is whatever a file's header says.
std::uint32_t ShardsThatMayHold(std::uint32_t count, std::uint32_t index,
                                std::uint32_t owner_count);

}  // namespace shardtrack

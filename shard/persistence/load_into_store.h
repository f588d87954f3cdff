// LoadIntoStore: fills an empty SwarmStore at start from the data directory (state_loader.h),
// with the least memory at the peak. Loop thread (before the loop runs); uses one thread of its
// own meanwhile and joins it.
//
// The load runs on that thread, so glibc's malloc serves it from an arena of its own: the
// loader's pages and the store's never mix. The torrents then go into the store in the order
// their peers lie in memory, each freed once the store holds it, and each time the bytes freed
// since the last trim reach half of all freed so far (and kFirstTrimBytes) the free pages go back
// to the system (malloc_trim): the loaded state shrinks as the store grows, and the two never
// add up. (Loaded on the caller's thread and freed at the end, the store's lists
// filled the holes the loader left, and 1M peers stayed at 65-90 MB resident instead of 55 MB.)
// With another malloc the order and the trims cost little and help less; the result is the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/state_loader.h"
#include "shard/swarm_store.h"

namespace shardtrack {

struct StoreLoad {
  std::string summary;               // LoadedState::Summary(), and the expired peers dropped
  std::uint64_t max_generation = 0;  // of every file read
  std::vector<FileSet> sets;         // LoadedState's
  // Corrupt files moved aside, and snapshots and journals found missing: what they held may be
  // lost.
  std::uint32_t files_lost = 0;
  std::vector<SetAsideLater> set_aside_later;  // LoadedState's
  std::uint64_t torn_tail_bytes = 0;
  bool fresh_start = false;
};

// A trim walks all of malloc's free lists (at 10M peers ~1M freed map nodes: ~0.2 s a call), so
// trims come at doubling intervals (8, 16, 32 MB... freed: 7 in a 10M-peer load), and at most
// half of what has been freed waits to be returned.
inline constexpr std::uint64_t kFirstTrimBytes = 8u << 20;

// Loads what `options` names into `store` (empty), dropping peers whose last announce is already
// `peer_timeout` old at `options.now`. Errors are LoadShardState's.
Result<StoreLoad> LoadIntoStore(FileOps& ops, const LoadOptions& options, std::int64_t peer_timeout,
                                SwarmStore& store);

}  // namespace shardtrack

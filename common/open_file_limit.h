// RaiseOpenFileLimit: lifts this process's soft RLIMIT_NOFILE towards what its connection limit
// needs, within the hard limit, so `max_connections` is not silently capped by a default of 1024.
// RequireOpenFiles: the same for what a process cannot run without, as an error when the hard
// limit is lower.
#pragma once

#include <cstdint>

#include "common/result.h"

namespace shardtrack {

// Sets the soft limit to at least `wanted` descriptors when the hard limit allows it. Returns the
// soft limit now in force (possibly still below `wanted`: the caller warns).
Result<std::uint64_t> RaiseOpenFileLimit(std::uint64_t wanted);

// The fewest descriptors a process with ZeroMQ sockets starts with. Below that libzmq aborts the
// process (an assertion, when its poller or mailbox cannot be made) instead of returning an error;
// a frontend or a shard uses about 20.
inline constexpr std::uint64_t kMinOpenFiles = 64;

// RaiseOpenFileLimit(needed), or an error naming the limit and how to raise it when it stays below.
Status RequireOpenFiles(std::uint64_t needed);

}  // namespace shardtrack

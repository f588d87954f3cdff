// RaiseOpenFileLimit: lifts this process's soft RLIMIT_NOFILE towards what its connection limit
// needs, within the hard limit, so `max_connections` is not silently capped by a default of 1024.
#pragma once

#include <cstdint>

#include "common/result.h"

namespace shardtrack {

// Sets the soft limit to at least `wanted` descriptors when the hard limit allows it. Returns the
// soft limit now in force (possibly still below `wanted`: the caller warns).
Result<std::uint64_t> RaiseOpenFileLimit(std::uint64_t wanted);

}  // namespace shardtrack

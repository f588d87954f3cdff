// RegisterShardMetrics: a shard's series in a MetricsRegistry, read from the store, the service,
// the server and the expiry's stats at render time (nothing is counted twice). The registry keeps
// references to all four: they must outlive it. Other parts (persistence) add their own series to
// the same registry. Loop thread only.
#pragma once

#include <cstdint>

#include "common/metrics.h"
#include "shard/expiry_sweep.h"
#include "shard/shard_server.h"
#include "shard/shard_service.h"
#include "shard/swarm_store.h"

namespace shardtrack {

void RegisterShardMetrics(MetricsRegistry& registry, std::uint32_t index, std::uint32_t count,
                          const SwarmStore& store, const ShardService& service,
                          const ShardServer& server, const ExpirySweep::Stats& expiry);

}  // namespace shardtrack

// RegisterPersistenceMetrics: snapshot and journal series of one shard (ages, durations, counts),
// read from ShardPersistence::stats() at render time. `persistence` and `clock` must outlive the
// registry. Loop thread only.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/metrics.h"
#include "shard/persistence/shard_persistence.h"

namespace shardtrack {

void RegisterPersistenceMetrics(MetricsRegistry& registry, std::uint32_t index,
                                const ShardPersistence& persistence, const Clock& clock);

}  // namespace shardtrack

// The process's own series, under the names Prometheus's client libraries give them, so the
// usual dashboards and alerts work: start time (changes() over it counts restarts), CPU seconds,
// resident and virtual memory, open and allowed file descriptors. Read from the kernel
// (getrusage, /proc/self) when the registry is rendered.
#pragma once

#include <cstdint>

#include "common/metrics.h"

namespace shardtrack {

void AddProcessMetrics(MetricsRegistry& registry, std::int64_t started_unix_seconds);

}  // namespace shardtrack

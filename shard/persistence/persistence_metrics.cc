#include "shard/persistence/persistence_metrics.h"

#include <string>

namespace shardtrack {

void RegisterPersistenceMetrics(MetricsRegistry& registry, std::uint32_t index,
                                const ShardPersistence& persistence, const Clock& clock) {
  const MetricLabels shard = {{"shard", std::to_string(index)}};
  const PersistenceStats& stats = persistence.stats();
  auto age = [&clock](const UnixSeconds& at) {
    return [&clock, &at] { return at == 0 ? 0.0 : double(clock.WallNow() - at); };
  };
  registry.AddGauge("shardtrack_snapshot_age_seconds", "Seconds since the last good snapshot.",
                    shard, age(stats.last_snapshot_at));
  registry.AddGauge("shardtrack_snapshot_duration_seconds",
                    "Time the last snapshot took (a periodic one: from the fork to the install, "
                    "written beside the loop).",
                    shard, [&stats] { return stats.last_snapshot_seconds; });
  registry.AddGauge("shardtrack_snapshot_fork_seconds",
                    "Time the fork of the last periodic snapshot paused the loop.", shard,
                    [&stats] { return stats.last_fork_seconds; });
  registry.AddGauge("shardtrack_snapshot_bytes", "Size of the last good snapshot.", shard,
                    [&stats] { return double(stats.last_snapshot_bytes); });
  registry.AddCounter("shardtrack_snapshots_total", "Snapshots written.", shard,
                      [&stats] { return stats.snapshots; });
  registry.AddCounter("shardtrack_snapshot_failures_total",
                      "Snapshots that failed (the previous one stayed in force).", shard,
                      [&stats] { return stats.snapshot_failures; });
  registry.AddCounter("shardtrack_snapshot_affinity_failures_total",
                      "Snapshot children that could not move to --snapshot-cpus (they ran on the "
                      "shard's CPUs).",
                      shard, [&stats] { return stats.snapshot_affinity_failures; });
  registry.AddGauge("shardtrack_journal_age_seconds",
                    "Seconds since the last journal commit that held records.", shard,
                    age(stats.last_commit_at));
  registry.AddGauge("shardtrack_journal_commit_duration_seconds",
                    "Time the last journal write took (the loop waits for it).", shard,
                    [&stats] { return stats.last_commit_seconds; });
  registry.AddCounter("shardtrack_journal_commits_total", "Journal writes with records.", shard,
                      [&stats] { return stats.commits; });
  registry.AddCounter("shardtrack_journal_commit_failures_total",
                      "Journal writes and syncs that failed.", shard,
                      [&stats] { return stats.commit_failures; });
  registry.AddGauge("shardtrack_journal_sync_duration_seconds",
                    "Time the last journal sync took, as the completions it covered waited for it "
                    "(runs beside the loop).",
                    shard, [&stats] { return stats.last_sync_seconds; });
  registry.AddCounter("shardtrack_journal_syncs_total",
                      "Journal syncs (each makes every completion written before it durable).",
                      shard, [&stats] { return stats.syncs; });
}

}  // namespace shardtrack

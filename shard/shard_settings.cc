#include "shard/shard_settings.h"

namespace shardtrack {

void ShardSettings::Register(FlagSet& flags) {
  flags.Add("index", &index, "this shard's index, 0 to count-1");
  flags.Add("count", &count, "number of shards in the cluster");
  flags.Add("listen", &listen, "ZeroMQ endpoint to bind, tcp://HOST:PORT");
  flags.Add("data-dir", &data_dir, "directory for snapshots and journals");
  flags.Add("peer-timeout", &peer_timeout, "seconds without an announce before a peer expires");
  flags.Add("expire-interval", &expire_interval, "seconds between expiry slices");
  flags.Add("expire-slice", &expire_slice, "torrents examined per expiry slice");
  flags.Add("store-peer-ids", &store_peer_ids,
            "keep peer ids for non-compact replies (off: 11 instead of 31 bytes per IPv4 peer)");
  flags.Add("save-dfile-interval", &save_dfile_interval, "seconds between snapshots");
  flags.Add("on-corrupt", &on_corrupt,
            "a corrupt data file at start: refuse (stop, naming it) or quarantine (move it "
            "aside, use the previous good snapshot)");
  flags.Add("log-level", &log_level, "trace, debug, info, warn, error, critical or off");
  flags.Add("metrics-listen", &metrics_listen,
            "HOST:PORT for GET /metrics and /healthz over HTTP; empty: off");
}

}  // namespace shardtrack

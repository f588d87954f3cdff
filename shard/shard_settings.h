// ShardSettings: every setting and limit of a shard process, with its default and why.
// Register() names them on a FlagSet (command line, SHARDTRACK_* environment, --help, README),
// each number with the range it allows; the *From and Check* functions read what a range cannot
// express (words, lists, endpoints) and build the parts' options.
// Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/result.h"
#include "shard/expiry_sweep.h"
#include "shard/persistence/on_corrupt.h"
#include "shard/torrent_swarm.h"

namespace shardtrack {

struct ShardSettings {
  std::uint32_t index = 0;  // this shard's place in the routing function, 0..count-1
  std::uint32_t count = 1;  // how many shards the cluster has
  std::string listen = "tcp://127.0.0.1:7000";  // ROUTER endpoint frontends connect to
  // CURVE (common/curve_keys.h) for frontends on other machines: the shards' secret key, and
  // the public keys of the frontends admitted. Both or neither; empty: plain TCP, for a
  // private network only.
  std::string curve_secret_file;
  std::string frontend_keys_file;
  std::uint32_t frontend_keys_interval = 60;  // seconds between checks of frontend_keys_file
  // Seconds a new connection has to finish its ZeroMQ (and CURVE) handshake before it is closed
  // (ZMQ_HANDSHAKE_IVL; libzmq's own default is 30). A frontend takes milliseconds; what sends
  // nothing holds a descriptor for that long, so a flood of silent connections from anyone who
  // reaches the port needs that many times more of them to fill the open-file limit.
  std::uint32_t handshake_timeout = 5;
  // Largest message a connection may send (ZMQ_MAXMSGSIZE); a larger one closes it. libzmq
  // otherwise takes whatever size a frame's header claims and fills it as bytes arrive, before
  // CURVE has admitted anyone. A frontend sends its batches in parts of at most 1 MiB (plus one
  // request: a scrape of --max-scrape-hashes), far below this.
  std::uint32_t max_message_bytes = 16 << 20;
  std::string data_dir = "./data";

  // Swarm upkeep (values of the original tracker).
  std::int64_t peer_timeout = 2700;    // seconds without an announce before a peer expires
  std::int64_t expire_interval = 5;    // seconds between expiry slices (timeout_check_interval)
  std::uint32_t expire_slice = 20000;  // torrents examined per slice, so a sweep never stalls
  // Longest time a sweep over all torrents may take; 0: a tenth of peer_timeout. Past about
  // 1M torrents (at the defaults) slices come more often than expire_interval to keep it, since
  // a dead peer stays listed until the sweep reaches its torrent.
  std::int64_t expire_lap = 0;
  // Seconds a torrent left without peers keeps its completed count after its last announce;
  // then it is forgotten, count and all. 0: kept for good (the original tracker's dfile).
  // Without it every infohash ever completed stays, ~60 bytes each: a public tracker's table
  // grows for ever, and anyone can grow it with `completed` announces for made-up torrents.
  std::int64_t torrent_retention = 0;
  // What this shard may hold (ShardLimits): past either, announces that would add a torrent with
  // peers or a peer get "tracker full" and change nothing; 0: no limit. Measured (docs/deploy.md,
  // "How much a shard holds"): a torrent with one peer takes ~155 bytes of RSS (~183 keeping its
  // id), each further peer ~24 (~47), so the defaults bound a shard's swarms near 2.5 GB (3.5 GB
  // keeping every id) against a flood of made-up infohashes or addresses, above what a busy public
  // tracker's shard holds.
  std::uint32_t max_torrents = 10'000'000;
  std::uint32_t max_peers = 50'000'000;
  // Clients (a member's peer id on a torrent) the accounting follows for one member (passkey):
  // one member making up peer ids cannot take the room of --max-peers from everyone else. A
  // seedbox seeding 20,000 torrents over both families is 40,000 clients over all shards.
  std::uint32_t max_clients_per_member = 100'000;
  // The most the accounting credits a client for each second since its last announce, in bytes
  // uploaded and downloaded alike (TransferLedger::SetMaxCreditRate); 0: no bound. Counters are
  // what clients claim, so it is the site's rule against a client claiming more than any link
  // carries (125,000,000: 1 Gbit/s; at most 4,294,967,295, about 34 Gbit/s). Off by default: a rule
  // that drops real transfer is the site's to choose.
  std::uint32_t max_credit_rate = 0;

  // Which peers' 20-byte ids to keep, for non-compact replies' `peer id`:
  // asked keeps a torrent's once an announce asks for a non-compact reply with ids (until the
  // swarm empties or the shard restarts), always (or true) every torrent's, as the original
  // tracker did, never (or false) none (non-compact replies list `ip` and `port` only, as
  // opentracker's). An id is most of a peer's memory: an IPv4 peer is 9 bytes without one, 29
  // with. Nearly every client asks for compact replies, so "asked" costs nothing for them; a
  // non-compact client still gets each peer's id from that peer's next announce on.
  PeerIdPolicy store_peer_ids = PeerIdPolicy::kWhenAsked;

  // A reply that counted a completion waits for an fdatasync of the journal, so an acknowledged
  // completion survives a power loss. Off, it goes out once written (it survives kill -9, and
  // reaches the disk with the kernel's writeback or the next snapshot): no sync's I/O and
  // interrupts on the shard's core, for up to ~30 s of completions a power loss may take.
  bool sync_completions = true;

  std::int64_t save_dfile_interval = 300;  // seconds between snapshots (the original's default)
  // CPUs for the forked child that writes each periodic snapshot, as a list like "2,3" or "2-3".
  // Empty: the shard's own CPUs (inherited). A shard pinned to one core should give its child
  // another: at 10M peers the child's ~4 s of encoding per snapshot otherwise takes that core
  // from the requests. If the child cannot move there, it writes the snapshot where it is and
  // the shard logs a warning.
  std::string snapshot_cpus;
  // A corrupt or unreadable file at start: refuse (stop and name it) or quarantine (move it aside
  // and start from what is intact). Refuse by default: dropping state must be an operator's
  // decision.
  OnCorrupt on_corrupt = OnCorrupt::kRefuse;

  // Seconds between the accounting files of a members-only tracker (shard/accounting/): what
  // announces naming a passkey uploaded, downloaded, completed and seeded, by member and
  // torrent, for the site to import from <data-dir>/accounting/. Credited announces are logged
  // as they come (credit_log.h), so neither SIGTERM nor kill -9 loses any.
  std::int64_t accounting_interval = 60;

  LogLevel log_level = LogLevel::kInfo;
  // GET /metrics and /healthz over HTTP, "HOST:PORT"; empty: off. Containers set 0.0.0.0:9100.
  std::string metrics_listen;

  void Register(FlagSet& flags);
  // The settings of the swarms and their files, without the process's own (index, count,
  // listen, log-level, metrics-listen, handshake-timeout, max-message-bytes, the CURVE files and
  // frontend-keys-interval): what shardtrack-node takes for all its shards.
  void RegisterStorage(FlagSet& flags);
};

// The expiry sweep's pace from peer_timeout and the expire_* settings (expire_lap 0: a tenth of
// peer_timeout).
ExpirySweep::Options ExpiryOptionsFrom(const ShardSettings& settings);

// When shard `index` of `count` takes its first periodic snapshot: after (1 + index/count) of
// --save-dfile-interval, so that the shards of one machine (or of one node) do not all fork and
// write at the same moment; later ones come every interval, keeping the offsets.
Duration FirstSaveDelay(const ShardSettings& settings);

// --listen names a ZeroMQ transport (tcp://HOST:PORT; shardtrack-node's shards use inproc://).
Status CheckListen(const ShardSettings& settings);

// The CPU numbers of snapshot_cpus (sorted, each once; empty when the setting is), or an error
// naming the setting: a malformed list, or a CPU at or above `configured_cpus` (what the machine
// has, get_nprocs_conf()).
Result<std::vector<int>> SnapshotCpusFrom(const ShardSettings& settings, int configured_cpus);

}  // namespace shardtrack

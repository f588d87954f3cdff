#include "shard/shard_settings.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "common/batch_limits.h"
#include "common/routing.h"
#include "common/zmq_endpoint.h"
#include "shard/seen_time.h"

namespace shardtrack {
namespace {

// The longest --handshake-timeout: a frontend takes milliseconds, and what sends nothing holds a
// descriptor for that long.
constexpr std::uint32_t kLongestHandshakeSeconds = 3600;

std::optional<int> ParseCpu(std::string_view text) {
  int cpu = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpu);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || cpu < 0) {
    return std::nullopt;
  }
  return cpu;
}

// "0,2-3" -> {0, 2, 3}; nullopt when malformed or when a CPU number is not below `limit`.
std::optional<std::vector<int>> ParseCpuList(std::string_view text, int limit) {
  std::vector<int> cpus;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto first = ParseCpu(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : ParseCpu(item.substr(dash + 1));
    if (!first || !last || *last < *first || *last >= limit) return std::nullopt;
    for (int cpu = *first; cpu <= *last; ++cpu) cpus.push_back(cpu);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

}  // namespace

void ShardSettings::Register(FlagSet& flags) {
  flags.Add("index", &index, "this shard's index, 0 to count-1");
  flags.Add("count", &count, "number of shards in the cluster",
            Between(1, kMaxShardCount, "a frontend holds a socket to each"));
  flags.Add("listen", &listen,
            "ZeroMQ endpoint to bind, tcp://HOST:PORT (HOST: an IP address, [IPv6] in brackets, "
            "* or an interface name) or ipc://PATH");
  flags.Add("curve-secret-file", &curve_secret_file,
            "file of the shards' CURVE secret key (shardtrack-curve-keys): frontends must "
            "encrypt and be in --frontend-keys-file; empty: plain TCP");
  flags.Add("frontend-keys-file", &frontend_keys_file,
            "file of the CURVE public keys of the frontends admitted, one a line (with "
            "--curve-secret-file)");
  flags.Add("frontend-keys-interval", &frontend_keys_interval,
            "seconds between checks of --frontend-keys-file; a changed file is reloaded, as on "
            "SIGHUP",
            AtLeast(1));
  flags.Add("handshake-timeout", &handshake_timeout,
            "seconds a new connection has to finish its ZeroMQ handshake before it is closed",
            Between(1, kLongestHandshakeSeconds, "an hour"));
  flags.Add("max-message-bytes", &max_message_bytes,
            "largest message a connection to --listen may send; a larger one closes it",
            AtLeast(kMinMaxMessageBytes, "1.25 MiB: what a frontend's batch may take"));
  RegisterStorage(flags);
  AddLogLevelFlag(flags, &log_level);
  flags.Add("metrics-listen", &metrics_listen,
            "HOST:PORT for GET /metrics and /healthz over HTTP; empty: off");
}

void ShardSettings::RegisterStorage(FlagSet& flags) {
  flags.Add("data-dir", &data_dir, "directory for snapshots and journals");
  // A week at most: a peer's last-seen time is kept in 22 bits (shard/seen_time.h).
  flags.Add("peer-timeout", &peer_timeout, "seconds without an announce before a peer expires",
            Between(1, kLongestPeerTimeout, "a week"));
  flags.Add("expire-interval", &expire_interval, "seconds between expiry slices", UpToTenYears(1));
  flags.Add("expire-slice", &expire_slice, "torrents examined per expiry slice", AtLeast(1));
  flags.Add("expire-lap", &expire_lap,
            "longest seconds for an expiry sweep over all torrents (slices come faster when "
            "needed); 0: a tenth of --peer-timeout",
            UpToTenYears(0));
  flags.Add("torrent-retention", &torrent_retention,
            "seconds after its last announce that a torrent without peers keeps its completed "
            "count; then it is forgotten (0: kept for good)",
            UpToTenYears(0));
  flags.Add("max-torrents", &max_torrents,
            "torrents with peers this shard may hold; past it, announces for new torrents get "
            "'tracker full' (0: no limit; torrents kept only for their completed counts do not "
            "count: see --torrent-retention)");
  flags.Add("max-peers", &max_peers,
            "peers this shard may hold; past it, announces from new peers get 'tracker full' "
            "(0: no limit); also the members' clients its accounting follows");
  flags.Add("max-clients-per-member", &max_clients_per_member,
            "members only: clients (a peer id on a torrent) the accounting follows for one "
            "passkey; past it, that member's new clients are not credited (0: no limit)");
  flags.Add("max-credit-rate", &max_credit_rate,
            "members only: bytes a second since its last announce that a client is credited at "
            "most, uploaded and downloaded alike; what it claims beyond is not credited (0: no "
            "limit; 125000000: 1 Gbit/s)");
  flags.Add("store-peer-ids", &store_peer_ids,
            "whose peer ids to keep for non-compact replies: asked (a torrent's, once an announce "
            "asks for them), always or never (the yes/no values it took before are taken too); "
            "an IPv4 peer is 9 bytes without its id, 29 with",
            {{"asked", PeerIdPolicy::kWhenAsked},
             {"always", PeerIdPolicy::kAlways},
             {"never", PeerIdPolicy::kNever},
             // What the setting took as a yes/no setting before "asked", so that older
             // configurations start.
             {"true", PeerIdPolicy::kAlways, false},
             {"false", PeerIdPolicy::kNever, false},
             {"yes", PeerIdPolicy::kAlways, false},
             {"no", PeerIdPolicy::kNever, false},
             {"1", PeerIdPolicy::kAlways, false},
             {"0", PeerIdPolicy::kNever, false}});
  flags.Add("sync-completions", &sync_completions,
            "a completion's reply waits for an fdatasync of the journal (off: only for its "
            "write, so a power loss may take the last ~30 s of completions)");
  flags.Add("save-dfile-interval", &save_dfile_interval,
            "seconds between snapshots (shard i of n takes its first after (1 + i/n) of them)",
            UpToTenYears(1));
  flags.Add("snapshot-cpus", &snapshot_cpus,
            "CPUs for the child that writes each periodic snapshot, e.g. 2,3 or 2-3; empty: the "
            "shard's own");
  flags.Add("on-corrupt", &on_corrupt,
            "a corrupt data file at start: refuse (stop, naming it) or quarantine (move it "
            "aside, start from what is intact)",
            {{"refuse", OnCorrupt::kRefuse}, {"quarantine", OnCorrupt::kQuarantine}});
  flags.Add("accounting-interval", &accounting_interval,
            "seconds between accounting files (what members uploaded, downloaded, completed and "
            "seeded, from announces naming a passkey) in <data-dir>/accounting/",
            UpToTenYears(1));
}

ExpirySweep::Options ExpiryOptionsFrom(const ShardSettings& settings) {
  const std::int64_t lap = settings.expire_lap > 0
                               ? settings.expire_lap
                               : std::max<std::int64_t>(1, settings.peer_timeout / 10);
  return ExpirySweep::Options{settings.peer_timeout, std::chrono::seconds(settings.expire_interval),
                              settings.expire_slice, std::chrono::seconds(lap),
                              settings.torrent_retention};
}

Duration FirstSaveDelay(const ShardSettings& settings) {
  const Duration interval = std::chrono::seconds(settings.save_dfile_interval);
  return interval + interval / std::max<std::uint32_t>(settings.count, 1) * settings.index;
}

Status CheckListen(const ShardSettings& settings) {
  return CheckZmqEndpoint("--listen", settings.listen, EndpointUse::kBind);
}

Result<std::vector<int>> SnapshotCpusFrom(const ShardSettings& settings, int configured_cpus) {
  if (settings.snapshot_cpus.empty()) return std::vector<int>{};
  // Beyond the machine, any number is a typo; a huge range would only cost memory.
  constexpr int kLargestCpuSet = 1024;  // CPU_SETSIZE
  const int limit = std::min(configured_cpus, kLargestCpuSet);
  if (auto cpus = ParseCpuList(settings.snapshot_cpus, limit)) return *cpus;
  return Error{"--snapshot-cpus must be CPU numbers from 0 to " + std::to_string(limit - 1) +
               " as a list like 2,3 or 2-3 (this machine has " + std::to_string(configured_cpus) +
               " CPUs), not '" + settings.snapshot_cpus + "'"};
}

}  // namespace shardtrack

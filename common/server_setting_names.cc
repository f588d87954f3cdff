#include "common/server_setting_names.h"

#include <algorithm>
#include <array>

#include "common/flags.h"
#include "common/nearest_spelling.h"

namespace shardtrack {
namespace {

constexpr std::string_view kPrefix = "SHARDTRACK_";

constexpr std::array kServerSettingNames = std::to_array<std::string_view>({
    // shardtrack-frontend (FrontendSettings::Register; a node takes its RegisterServing part).
    "shard",
    "curve-secret-file",
    "shard-public-key-file",
    "bind",
    "port",
    "metrics-listen",
    "udp-port",
    "udp-max-datagram-bytes",
    "udp-max-reply-bytes",
    "udp-datagrams-per-turn",
    "udp-secret-file",
    "reuse-port",
    "trusted-proxy",
    "trust-x-forwarded-for",
    "require-proxy-header",
    "drain-grace-ms",
    "batch-window-us",
    "max-connections",
    "listen-backlog",
    "max-connections-per-client",
    "client-request-rate",
    "client-request-burst",
    "socket-timeout",
    "request-timeout",
    "defer-accept",
    "max-output-bytes",
    "max-request-line",
    "max-header-bytes",
    "max-pipelined",
    "response-size",
    "max-give",
    "announce-interval",
    "retry-in",
    "min-interval",
    "interval-jitter",
    "ip-override",
    "full-scrape",
    "max-scrape-hashes",
    "max-udp-scrape-hashes",
    "full-scrape-limit",
    "full-scrape-cache",
    "full-scrape-gzip",
    "info-page-torrents",
    "info-page-cache",
    "access-list",
    "access-mode",
    "access-list-interval",
    "passkey-file",
    "passkey-file-interval",
    "client-list",
    "client-mode",
    "client-list-interval",
    "ip-list",
    "ip-mode",
    "ip-list-interval",
    "shard-timeout-ms",
    "shard-heartbeat-ms",
    "max-pending-per-shard",
    "log-level",
    // shardtrack-shard (ShardSettings::Register; a node takes its RegisterStorage part), less
    // the names above.
    "index",
    "count",
    "listen",
    "frontend-keys-file",
    "frontend-keys-interval",
    "handshake-timeout",
    "max-message-bytes",
    "data-dir",
    "peer-timeout",
    "expire-interval",
    "expire-slice",
    "expire-lap",
    "torrent-retention",
    "max-torrents",
    "max-peers",
    "max-clients-per-member",
    "max-credit-rate",
    "store-peer-ids",
    "sync-completions",
    "save-dfile-interval",
    "snapshot-cpus",
    "on-corrupt",
    "accounting-interval",
    // shardtrack-node's own (NodeSettings::Register in node/main.cc).
    "shards",
});

constexpr std::array kToolingVariables = std::to_array<std::string_view>({
    // The directory of the binaries under test: tests/integration/cluster.py, bench/*.py,
    // tests/CMakeLists.txt.
    "SHARDTRACK_BIN_DIR",
    // Run and seed the chaos test: tests/integration/test_chaos.py.
    "SHARDTRACK_CHAOS_SECONDS",
    "SHARDTRACK_CHAOS_WORKERS",
    "SHARDTRACK_CHAOS_SEED",
    // Replays a hostile-input run: tests/integration/test_hostile_input.py.
    "SHARDTRACK_HOSTILE_SEED",
    // CMake's names (CMakeLists.txt, tests/fuzz/CMakeLists.txt, scripts/fuzz), never read from
    // the environment: named so that a shell which exports them is not warned about.
    "SHARDTRACK_WARNINGS",
    "SHARDTRACK_FUZZ",
    // shardtrack-dfile's --in and --out, which it reads from the environment as a server reads
    // its settings (its others are servers' names too).
    "SHARDTRACK_IN",
    "SHARDTRACK_OUT",
});

bool IsToolingVariable(std::string_view variable) {
  return std::ranges::find(kToolingVariables, variable) != kToolingVariables.end();
}

}  // namespace

std::span<const std::string_view> ServerSettingNames() { return kServerSettingNames; }

std::span<const std::string_view> ToolingVariables() { return kToolingVariables; }

std::vector<std::string> UnknownVariableWarnings(const char* const* environment) {
  std::vector<std::string> known;  // every server setting's variable
  for (std::string_view setting : kServerSettingNames) {
    known.push_back(EnvironmentVariableOf(setting));
  }
  const auto names_a_setting = [&known](std::string_view variable) {
    return std::ranges::find(known, variable) != known.end();
  };
  std::vector<std::string> warnings;
  for (; environment != nullptr && *environment != nullptr; ++environment) {
    const std::string_view entry(*environment);
    const std::string_view variable = entry.substr(0, entry.find('='));
    if (!variable.starts_with(kPrefix) || names_a_setting(variable) ||
        IsToolingVariable(variable)) {
      continue;
    }
    const std::string nearest = NearestSpelling(variable, known);  // what it was meant to be
    warnings.push_back(std::string(variable) + " names no setting of any shardtrack program (" +
                       (nearest.empty() ? "misspelt?" : "did you mean " + nearest + "?") +
                       " each program's --help lists its settings and their variables); ignored");
  }
  return warnings;
}

}  // namespace shardtrack

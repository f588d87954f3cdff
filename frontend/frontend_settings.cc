#include "frontend/frontend_settings.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "common/batch_limits.h"
#include "common/passkey.h"
#include "common/reply_limits.h"
#include "common/routing.h"
#include "frontend/udp/udp_tracker_protocol.h"

namespace shardtrack {
namespace {

constexpr std::uint32_t kLargestUdpDatagram = 65535;       // the UDP header's length field
constexpr std::uint32_t kLongestRetryInMinutes = 24 * 60;  // a day
// A shard's --peer-timeout is at most a week: a client told to wait longer (with half the
// jitter, at most as much again) would drop out of every swarm before its next announce.
constexpr std::uint32_t kLongestAnnounceInterval = 4 * 24 * 3600;
// A scrape's request line with every hash byte percent-encoded: "GET /scrape.php?" (the longest
// spelling of the route) and " HTTP/1.1" around "info_hash=", 60 characters and a "&" per hash;
// on a members-only tracker, "/<passkey>" before it.
constexpr std::uint32_t kScrapeLineFixedBytes = 25;
constexpr std::uint32_t kScrapeLineBytesPerHash = 71;

}  // namespace

const Words<AccessMode>& AccessModeWords() {
  static const Words<AccessMode> words = {{"allow", AccessMode::kAllow},
                                          {"deny", AccessMode::kDeny}};
  return words;
}

void FrontendSettings::Register(FlagSet& flags) {
  flags.Add("shard", &shards,
            "shard endpoint tcp://HOST:PORT; the order gives the shard index (at most " +
                std::to_string(kMaxShardCount) + ")");
  flags.Add("curve-secret-file", &curve_secret_file,
            "file of this frontend's CURVE secret key (shardtrack-curve-keys), for shards given "
            "--curve-secret-file; empty: plain TCP");
  flags.Add("shard-public-key-file", &shard_public_key_file,
            "file of the shards' CURVE public key (with --curve-secret-file)");
  RegisterServing(flags);
  AddLogLevelFlag(flags, &log_level);
}

void FrontendSettings::RegisterServing(FlagSet& flags) {
  flags.Add("bind", &bind,
            "address to listen on for HTTP and UDP (IPv4 or IPv6 literal; :: takes IPv4 clients "
            "too)");
  flags.Add("port", &port, "HTTP port for announce, scrape and the info page");
  flags.Add("metrics-listen", &metrics_listen,
            "HOST:PORT for GET /metrics and /healthz over HTTP apart from --port, which then "
            "answers /metrics 404 (e.g. 127.0.0.1:9099, off the Internet); empty: on --port");
  flags.Add("udp-port", &udp_port, "UDP tracker (BEP 15) port on --bind; 0: no UDP tracker");
  flags.Add("udp-max-datagram-bytes", &udp_max_datagram_bytes,
            "longest UDP datagram read; longer ones are dropped",
            Between(kUdpMaxRequestBytes, kLargestUdpDatagram,
                    "BEP 15's longest request, a scrape of " + std::to_string(kUdpMaxScrapeHashes) +
                        " hashes, to what UDP carries"));
  flags.Add("udp-max-reply-bytes", &udp_max_reply_bytes,
            "longest UDP announce reply; num_want is capped at the peers that fit (the default, "
            "IPv6's minimum MTU less headers, never fragments: 67 IPv6 or 202 IPv4 peers)",
            Between(kUdpShortestReplyBytes, kUdpLargestReplyBytes,
                    "room for one IPv6 peer to a UDP datagram's payload"));
  flags.Add("udp-datagrams-per-turn", &udp_datagrams_per_turn,
            "UDP datagrams read before the loop serves its other handles", AtLeast(1));
  flags.Add("udp-secret-file", &udp_secret_file,
            "file of at least 16 secret bytes that keys UDP connection ids; frontends given the "
            "same file accept each other's ids; empty: a random key per process");
  flags.Add("reuse-port", &reuse_port, "share --port with other frontends on this host");
  flags.Add("trusted-proxy", &trusted_proxies,
            "address or CIDR of a load balancer whose PROXY header (v1/v2) is believed");
  flags.Add("trust-x-forwarded-for", &trust_x_forwarded_for,
            "believe X-Forwarded-For, from --trusted-proxy sources only (needs one)");
  flags.Add("require-proxy-header", &require_proxy_header,
            "refuse every connection that is not a trusted proxy sending a PROXY header "
            "(needs --trusted-proxy)");
  flags.Add(
      "drain-grace-ms", &drain_grace_ms,
      "after SIGTERM, milliseconds of failing /readyz and /serving before the listener closes",
      UpToTenYears(0, 1000));
  flags.Add("batch-window-us", &batch_window_us,
            "under load, microseconds the loop gathers client requests before it reads them "
            "together (0: read each at once)",
            Between(0, kMaxBatchWindowUs, "10 ms: a longer wait is felt"));
  flags.Add("max-connections", &max_connections,
            "open client connections; a connection over it is answered 503 and closed", AtLeast(1));
  flags.Add("listen-backlog", &listen_backlog,
            "connections the kernel queues before the loop accepts them (capped by "
            "net.core.somaxconn; a burst beyond is refused)",
            Between(1, std::numeric_limits<int>::max(), "what listen(2) takes"));
  flags.Add("max-connections-per-client", &max_connections_per_client,
            "open connections of one client address (IPv6: its /64); over it 429 and close "
            "(0: no limit)");
  flags.Add("client-request-rate", &client_request_rate,
            "tracker requests a second one client address (IPv6: its /64) may make on average; "
            "over it a failure reason (0: no limit)");
  flags.Add("client-request-burst", &client_request_burst,
            "tracker requests one client may make at once under --client-request-rate", AtLeast(1));
  flags.Add("socket-timeout", &socket_timeout,
            "seconds before an idle connection is closed (longer than --shard-timeout-ms)",
            UpToTenYears(1));
  flags.Add("request-timeout", &request_timeout,
            "seconds to finish a request once its first byte arrived (408 beyond; 0: no limit)");
  flags.Add("defer-accept", &defer_accept,
            "seconds the kernel holds a new connection until its first bytes (0: off)",
            Between(0, 3600, "an hour"));
  flags.Add("max-output-bytes", &max_output_bytes,
            "unsent reply bytes on one connection before it is dropped; its reading pauses while "
            "answers behind an unanswered request hold as many",
            AtLeast(kMinOutputBytes, "a reply's head and an info page"));
  flags.Add("max-request-line", &max_request_line, "bytes in the request line (414 beyond)",
            AtLeast(kScrapeLineFixedBytes + kScrapeLineBytesPerHash,
                    "a scrape of one torrent, percent-encoded; more after a passkey"));
  flags.Add("max-header-bytes", &max_header_bytes,
            "bytes of header lines per request, line ends not counted (431 beyond)", AtLeast(1));
  flags.Add("max-pipelined", &max_pipelined, "requests in flight on one connection", AtLeast(1));
  flags.Add("response-size", &response_size,
            "peers in a reply when numwant is absent (capped at --max-give)");
  flags.Add("max-give", &max_give, "cap on numwant",
            Between(1, kMaxPeersPerReply, "what a shard answers"));
  flags.Add("announce-interval", &announce_interval, "seconds clients wait between announces",
            Between(1, kLongestAnnounceInterval,
                    "four days: with its jitter, under the longest --peer-timeout"));
  flags.Add("retry-in", &retry_in,
            "minutes a client refused as busy, unavailable or over its rate is asked to wait "
            "(BEP 31)",
            Between(1, kLongestRetryInMinutes, "a day"));
  flags.Add("min-interval", &min_interval,
            "the reply's min interval, seconds (at most --announce-interval)");
  flags.Add("interval-jitter", &interval_jitter,
            "seconds the reply's interval is spread over around --announce-interval (at most "
            "that much, never below --min-interval), so clients that came together drift "
            "apart; 0: none. Keep --announce-interval + half of it under the shards' "
            "--peer-timeout");
  flags.Add("ip-override", &ip_override,
            "whose ip= parameter is believed: local (loopback/private sources), always, never",
            {{"local", IpOverride::kLocal},
             {"always", IpOverride::kAlways},
             {"never", IpOverride::kNever}});
  flags.Add("full-scrape", &full_scrape, "answer /scrape without info_hash with every torrent");
  flags.Add("max-scrape-hashes", &max_scrape_hashes,
            "distinct info_hash values in one scrape (repeats are answered once; such a scrape "
            "must fit --max-request-line)",
            Between(1, kMaxScrapeHashes, "what one message to a shard carries"));
  flags.Add("max-udp-scrape-hashes", &max_udp_scrape_hashes, "info hashes in one UDP scrape",
            Between(1, kUdpMaxScrapeHashes, "BEP 15: what fits one datagram"));
  flags.Add("full-scrape-limit", &full_scrape_limit,
            "torrents per shard in one full scrape (0: all); lowered to fit --max-output-bytes");
  flags.Add("full-scrape-cache", &full_scrape_cache,
            "seconds a full scrape's reply is reused before the shards are asked again (0: never)");
  flags.Add("full-scrape-gzip", &full_scrape_gzip,
            "send a full scrape gzipped (a third of the bytes) to clients whose Accept-Encoding "
            "takes gzip");
  flags.Add("info-page-torrents", &info_page_torrents, "rows in the info page's torrent table",
            Between(0, kMaxInfoPageTorrents, "what a shard lists"));
  flags.Add("info-page-cache", &info_page_cache,
            "seconds the info page is reused before the shards are asked again (0: never)");
  flags.Add("access-list", &access_list,
            "file of infohashes (40 hex digits a line, # comments), or a directory of .torrent "
            "files, that --access-mode applies to; empty: every torrent is served");
  flags.Add("access-mode", &access_mode,
            "allow: only listed torrents are served; deny: listed torrents are refused",
            AccessModeWords());
  flags.Add("access-list-interval", &access_list_interval,
            "seconds between checks of --access-list; a changed file or directory is reloaded",
            AtLeast(1));
  flags.Add("passkey-file", &passkey_file,
            "members only: file of passkeys (one a line, # comments); every announce and scrape "
            "must name one, /<passkey>/announce; empty: no passkey is needed");
  flags.Add("passkey-file-interval", &passkey_file_interval,
            "seconds between checks of --passkey-file; a changed file is reloaded", AtLeast(1));
  flags.Add("client-list", &client_list,
            "file of peer id prefixes (one a line, %XX escapes, # comments) naming BitTorrent "
            "clients that --client-mode applies to; empty: every client may announce");
  flags.Add("client-mode", &client_mode,
            "allow: only listed clients may announce; deny: listed clients are refused",
            AccessModeWords());
  flags.Add("client-list-interval", &client_list_interval,
            "seconds between checks of --client-list; a changed file is reloaded", AtLeast(1));
  flags.Add("ip-list", &ip_list,
            "file of client addresses, CIDR blocks and first-last ranges (one a line, # comments) "
            "that --ip-mode applies to; empty: every address is served");
  flags.Add("ip-mode", &ip_mode,
            "deny: listed addresses are refused everything; allow: only listed addresses are "
            "served",
            AccessModeWords());
  flags.Add("ip-list-interval", &ip_list_interval,
            "seconds between checks of --ip-list; a changed file is reloaded", AtLeast(1));
  flags.Add("shard-timeout-ms", &shard_timeout_ms,
            "milliseconds before a request a shard has not answered fails; a shard silent "
            "that long gets one batch at a time and its other requests fail at once",
            Between(1, std::numeric_limits<std::uint32_t>::max(),
                    "what a batch tells its shard: 49 days"));
  flags.Add("shard-heartbeat-ms", &shard_heartbeat_ms,
            "milliseconds between pings on each shard connection; one silent for three is "
            "connected again (0: no pings; none go to a node's own shards)",
            Between(0, kLongestShardHeartbeatMs, "ten minutes"));
  flags.Add("max-pending-per-shard", &max_pending_per_shard,
            "requests waiting on one shard before new ones fail at once", AtLeast(1));
}

UdpSocket::Options UdpSocketOptionsFrom(const FrontendSettings& settings) {
  UdpSocket::Options options;
  options.bind_address = settings.bind;
  options.port = settings.udp_port;
  options.reuse_port = settings.reuse_port;
  options.max_datagram_bytes = settings.udp_max_datagram_bytes;
  options.max_datagrams_per_turn = settings.udp_datagrams_per_turn;
  return options;
}

namespace {

std::uint32_t ScrapeLineFixedBytes(const FrontendSettings& settings) {
  return kScrapeLineFixedBytes +
         (settings.passkey_file.empty() ? 0 : 1 + static_cast<std::uint32_t>(kMaxPasskeyLength));
}

// The most --max-scrape-hashes a request line of --max-request-line bytes holds.
std::uint32_t ScrapeHashesInALine(const FrontendSettings& settings) {
  const std::uint32_t fixed = ScrapeLineFixedBytes(settings);
  return (std::max(settings.max_request_line, fixed) - fixed) / kScrapeLineBytesPerHash;
}

}  // namespace

Status CheckRequestLimits(const FrontendSettings& settings) {
  if (settings.min_interval > settings.announce_interval) {
    return Error{"--min-interval must be at most " + std::to_string(settings.announce_interval) +
                 " (--announce-interval), not " + std::to_string(settings.min_interval)};
  }
  if (const std::uint32_t fits = ScrapeHashesInALine(settings); settings.max_scrape_hashes > fits) {
    if (fits == 0) {  // only after a passkey: --max-request-line's least fits one hash without
      return Error{"--max-request-line must be at least " +
                   std::to_string(ScrapeLineFixedBytes(settings) + kScrapeLineBytesPerHash) +
                   " on a members-only tracker (a scrape of one torrent after a passkey), not " +
                   std::to_string(settings.max_request_line)};
    }
    return Error{
        "--max-scrape-hashes must be at most " + std::to_string(fits) +
        " (what a request line of --max-request-line " + std::to_string(settings.max_request_line) +
        " bytes holds, percent-encoded), not " + std::to_string(settings.max_scrape_hashes) +
        ": lower it or raise --max-request-line"};
  }
  if (settings.socket_timeout * 1000 <= settings.shard_timeout_ms) {
    return Error{"--socket-timeout (" + std::to_string(settings.socket_timeout) +
                 " s) must be longer than --shard-timeout-ms (" +
                 std::to_string(settings.shard_timeout_ms) +
                 " ms), or a connection waiting for its shard is closed as idle"};
  }
  if (settings.shard_heartbeat_ms > 0 && settings.shard_heartbeat_ms < kShortestShardHeartbeatMs) {
    return Error{"--shard-heartbeat-ms must be 0 (no pings) or at least " +
                 std::to_string(kShortestShardHeartbeatMs) +
                 " (ZeroMQ counts a ping's time to live in tenths of a second), not " +
                 std::to_string(settings.shard_heartbeat_ms)};
  }
  return OkStatus();
}

std::uint32_t FullScrapeLimitPerShard(const FrontendSettings& settings, std::size_t longest_name) {
  const std::size_t shards = std::max<std::size_t>(settings.shards.size(), 1);
  const std::size_t per_torrent =
      kFullScrapeBytesPerTorrent + (longest_name == 0 ? 0 : kFullScrapeBytesPerName + longest_name);
  const auto fits = static_cast<std::uint32_t>(
      std::max<std::size_t>(settings.max_output_bytes / per_torrent / shards, 1));
  return settings.full_scrape_limit == 0 ? fits : std::min(settings.full_scrape_limit, fits);
}

ClientRequestLimiter ClientRequestLimiterFrom(const FrontendSettings& settings) {
  return ClientRequestLimiter(settings.client_request_rate, settings.client_request_burst);
}

Duration BatchWindowFrom(const FrontendSettings& settings) {
  return std::chrono::microseconds(settings.batch_window_us);
}

AnnounceOptions AnnounceOptionsFrom(const FrontendSettings& settings) {
  return {settings.response_size, settings.max_give, settings.ip_override};
}

ListFileSettings AccessSettingsFrom(const FrontendSettings& settings) {
  return {settings.access_list, settings.access_mode,
          std::chrono::seconds(settings.access_list_interval)};
}

ListFileSettings PasskeySettingsFrom(const FrontendSettings& settings) {
  return {settings.passkey_file, AccessMode::kAllow,
          std::chrono::seconds(settings.passkey_file_interval)};
}

ListFileSettings ClientListSettingsFrom(const FrontendSettings& settings) {
  return {settings.client_list, settings.client_mode,
          std::chrono::seconds(settings.client_list_interval)};
}

ListFileSettings IpListSettingsFrom(const FrontendSettings& settings) {
  return {settings.ip_list, settings.ip_mode, std::chrono::seconds(settings.ip_list_interval)};
}

}  // namespace shardtrack

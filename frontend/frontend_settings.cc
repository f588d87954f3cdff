#include "frontend/frontend_settings.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "common/batch_limits.h"
#include "common/reply_limits.h"
#include "frontend/udp/udp_tracker_protocol.h"

namespace shardtrack {
namespace {

constexpr std::uint32_t kLargestUdpDatagram = 65535;  // the UDP header's length field

}  // namespace

void FrontendSettings::Register(FlagSet& flags) {
  flags.Add("shard", &shards, "shard endpoint tcp://HOST:PORT; the order gives the shard index");
  flags.Add("curve-secret-file", &curve_secret_file,
            "file of this frontend's CURVE secret key (shardtrack-curve-keys), for shards given "
            "--curve-secret-file; empty: plain TCP");
  flags.Add("shard-public-key-file", &shard_public_key_file,
            "file of the shards' CURVE public key (with --curve-secret-file)");
  RegisterServing(flags);
  flags.Add("log-level", &log_level, "trace, debug, info, warn, error, critical or off");
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
            "longest UDP datagram read; longer ones are dropped (" +
                std::to_string(kUdpMaxRequestBytes) + " to " + std::to_string(kLargestUdpDatagram) +
                ")");
  flags.Add("udp-max-reply-bytes", &udp_max_reply_bytes,
            "longest UDP announce reply; num_want is capped at the peers that fit (the default, "
            "IPv6's minimum MTU less headers, never fragments: 67 IPv6 or 202 IPv4 peers; " +
                std::to_string(kUdpShortestReplyBytes) + " to " +
                std::to_string(kUdpLargestReplyBytes) + ")");
  flags.Add("udp-datagrams-per-turn", &udp_datagrams_per_turn,
            "UDP datagrams read before the loop serves its other handles (at least 1)");
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
      "after SIGTERM, milliseconds of failing /readyz and /serving before the listener closes");
  flags.Add("batch-window-us", &batch_window_us,
            "under load, microseconds the loop gathers client requests before it reads them "
            "together (0: read each at once; at most " +
                std::to_string(kMaxBatchWindowUs) + ")");
  flags.Add("max-connections", &max_connections,
            "open client connections; a connection over it is answered 503 and closed");
  flags.Add("listen-backlog", &listen_backlog,
            "connections the kernel queues before the loop accepts them (capped by "
            "net.core.somaxconn; a burst beyond is refused)");
  flags.Add("max-connections-per-client", &max_connections_per_client,
            "open connections of one client address (IPv6: its /64); over it 429 and close "
            "(0: no limit)");
  flags.Add("client-request-rate", &client_request_rate,
            "tracker requests a second one client address (IPv6: its /64) may make on average; "
            "over it a failure reason (0: no limit)");
  flags.Add("client-request-burst", &client_request_burst,
            "tracker requests one client may make at once under --client-request-rate "
            "(at least 1)");
  flags.Add("socket-timeout", &socket_timeout,
            "seconds before an idle connection is closed (longer than --shard-timeout-ms)");
  flags.Add("request-timeout", &request_timeout,
            "seconds to finish a request once its first byte arrived (408 beyond; 0: no limit)");
  flags.Add("defer-accept", &defer_accept,
            "seconds the kernel holds a new connection until its first bytes (0: off)");
  flags.Add("max-output-bytes", &max_output_bytes,
            "unsent reply bytes on one connection before it is dropped; its reading pauses while "
            "answers behind an unanswered request hold as many (at least 4096)");
  flags.Add("max-request-line", &max_request_line, "bytes in the request line (414 beyond)");
  flags.Add("max-header-bytes", &max_header_bytes,
            "bytes of header lines per request, line ends not counted (431 beyond)");
  flags.Add("max-pipelined", &max_pipelined, "requests in flight on one connection");
  flags.Add("response-size", &response_size,
            "peers in a reply when numwant is absent (capped at --max-give)");
  flags.Add("max-give", &max_give, "cap on numwant (1 to 10000)");
  flags.Add("announce-interval", &announce_interval, "seconds clients wait between announces");
  flags.Add("retry-in", &retry_in,
            "minutes a client refused as busy, unavailable or over its rate is asked to wait "
            "(BEP 31; 1 to 1440)");
  flags.Add("min-interval", &min_interval,
            "the reply's min interval, seconds (at most --announce-interval)");
  flags.Add("interval-jitter", &interval_jitter,
            "seconds the reply's interval is spread over around --announce-interval (at most "
            "that much, never below --min-interval), so clients that came together drift "
            "apart; 0: none. Keep --announce-interval + half of it under the shards' "
            "--peer-timeout");
  flags.Add("ip-override", &ip_override,
            "whose ip= parameter is believed: local (loopback/private sources), always, never");
  flags.Add("full-scrape", &full_scrape, "answer /scrape without info_hash with every torrent");
  flags.Add("max-scrape-hashes", &max_scrape_hashes,
            "distinct info_hash values in one scrape (repeats are answered once; such a scrape "
            "must fit --max-request-line)");
  flags.Add("max-udp-scrape-hashes", &max_udp_scrape_hashes,
            "info hashes in one UDP scrape (at most 74)");
  flags.Add("full-scrape-limit", &full_scrape_limit,
            "torrents per shard in one full scrape (0: all); lowered to fit --max-output-bytes");
  flags.Add("full-scrape-cache", &full_scrape_cache,
            "seconds a full scrape's reply is reused before the shards are asked again (0: never)");
  flags.Add("full-scrape-gzip", &full_scrape_gzip,
            "send a full scrape gzipped (a third of the bytes) to clients whose Accept-Encoding "
            "takes gzip");
  flags.Add("info-page-torrents", &info_page_torrents,
            "rows in the info page's torrent table (at most 1000)");
  flags.Add("info-page-cache", &info_page_cache,
            "seconds the info page is reused before the shards are asked again (0: never)");
  flags.Add("access-list", &access_list,
            "file of infohashes (40 hex digits a line, # comments), or a directory of .torrent "
            "files, that --access-mode applies to; empty: every torrent is served");
  flags.Add("access-mode", &access_mode,
            "allow: only listed torrents are served; deny: listed torrents are refused");
  flags.Add("access-list-interval", &access_list_interval,
            "seconds between checks of --access-list; a changed file or directory is reloaded (at "
            "least 1)");
  flags.Add("passkey-file", &passkey_file,
            "members only: file of passkeys (one a line, # comments); every announce and scrape "
            "must name one, /<passkey>/announce; empty: no passkey is needed");
  flags.Add("passkey-file-interval", &passkey_file_interval,
            "seconds between checks of --passkey-file; a changed file is reloaded (at least 1)");
  flags.Add("client-list", &client_list,
            "file of peer id prefixes (one a line, %XX escapes, # comments) naming BitTorrent "
            "clients that --client-mode applies to; empty: every client may announce");
  flags.Add("client-mode", &client_mode,
            "allow: only listed clients may announce; deny: listed clients are refused");
  flags.Add("client-list-interval", &client_list_interval,
            "seconds between checks of --client-list; a changed file is reloaded (at least 1)");
  flags.Add("ip-list", &ip_list,
            "file of client addresses, CIDR blocks and first-last ranges (one a line, # comments) "
            "that --ip-mode applies to; empty: every address is served");
  flags.Add("ip-mode", &ip_mode,
            "deny: listed addresses are refused everything; allow: only listed addresses are "
            "served");
  flags.Add("ip-list-interval", &ip_list_interval,
            "seconds between checks of --ip-list; a changed file is reloaded (at least 1)");
  flags.Add("shard-timeout-ms", &shard_timeout_ms,
            "milliseconds before a request a shard has not answered fails; a shard silent "
            "that long gets one batch at a time and its other requests fail at once");
  flags.Add("max-pending-per-shard", &max_pending_per_shard,
            "requests waiting on one shard before new ones fail at once");
}

Result<UdpSocket::Options> UdpSocketOptionsFrom(const FrontendSettings& settings) {
  const std::uint32_t bytes = settings.udp_max_datagram_bytes;
  if (bytes < kUdpMaxRequestBytes || bytes > kLargestUdpDatagram) {
    return Error{"--udp-max-datagram-bytes must be " + std::to_string(kUdpMaxRequestBytes) +
                 " (BEP 15's longest request, a scrape of " + std::to_string(kUdpMaxScrapeHashes) +
                 " hashes) to " + std::to_string(kLargestUdpDatagram) + ", not " +
                 std::to_string(bytes)};
  }
  if (settings.udp_datagrams_per_turn < 1) {
    return Error{"--udp-datagrams-per-turn must be at least 1, not 0"};
  }
  UdpSocket::Options options;
  options.bind_address = settings.bind;
  options.port = settings.udp_port;
  options.reuse_port = settings.reuse_port;
  options.max_datagram_bytes = bytes;
  options.max_datagrams_per_turn = settings.udp_datagrams_per_turn;
  return options;
}

namespace {

// A scrape's request line with every hash byte percent-encoded: "GET /scrape?" and " HTTP/1.1"
// around "info_hash=", 60 characters and a "&" per hash.
constexpr std::uint32_t kScrapeLineFixedBytes = 21;
constexpr std::uint32_t kScrapeLineBytesPerHash = 71;

Status AtMost(const char* flag, std::int64_t value, std::int64_t most, const std::string& why) {
  if (value <= most) return OkStatus();
  return Error{std::string(flag) + " must be at most " + std::to_string(most) + " (" + why +
               "), not " + std::to_string(value)};
}

}  // namespace

Status CheckRequestLimits(const FrontendSettings& settings) {
  const std::pair<const char*, std::int64_t> at_least_one[] = {
      {"--shard-timeout-ms", settings.shard_timeout_ms},
      {"--max-scrape-hashes", settings.max_scrape_hashes},
      {"--max-udp-scrape-hashes", settings.max_udp_scrape_hashes},
      {"--socket-timeout", settings.socket_timeout},
      {"--max-connections", settings.max_connections},
      {"--listen-backlog", settings.listen_backlog},
      {"--max-pending-per-shard", settings.max_pending_per_shard},
      {"--max-request-line", settings.max_request_line},
      {"--max-header-bytes", settings.max_header_bytes},
      {"--max-pipelined", settings.max_pipelined},
      {"--announce-interval", settings.announce_interval},
      {"--max-give", settings.max_give},
      {"--retry-in", settings.retry_in}};
  for (const auto& [flag, value] : at_least_one) {
    if (value < 1) {
      return Error{std::string(flag) + " must be at least 1, not " + std::to_string(value)};
    }
  }
  if (const std::uint32_t reply = settings.udp_max_reply_bytes;
      reply < kUdpShortestReplyBytes || reply > kUdpLargestReplyBytes) {
    return Error{"--udp-max-reply-bytes must be " + std::to_string(kUdpShortestReplyBytes) +
                 " (room for one IPv6 peer) to " + std::to_string(kUdpLargestReplyBytes) +
                 " (a UDP datagram's payload), not " + std::to_string(reply)};
  }
  if (settings.drain_grace_ms < 0) {
    return Error{"--drain-grace-ms must be 0 or more, not " +
                 std::to_string(settings.drain_grace_ms)};
  }
  const std::string ten_years = "ten years";
  const Status checks[] = {
      AtMost("--socket-timeout", settings.socket_timeout, kLongestSettingSeconds, ten_years),
      AtMost("--announce-interval", settings.announce_interval, kLongestSettingSeconds, ten_years),
      AtMost("--shard-timeout-ms", settings.shard_timeout_ms, kLongestSettingSeconds * 1000,
             ten_years),
      AtMost("--drain-grace-ms", settings.drain_grace_ms, kLongestSettingSeconds * 1000, ten_years),
      AtMost("--max-give", settings.max_give, kMaxPeersPerReply, "what a shard answers"),
      AtMost("--listen-backlog", settings.listen_backlog, std::numeric_limits<int>::max(),
             "what listen(2) takes"),
      AtMost("--info-page-torrents", settings.info_page_torrents, kMaxInfoPageTorrents,
             "what a shard lists"),
      AtMost("--max-udp-scrape-hashes", settings.max_udp_scrape_hashes, kUdpMaxScrapeHashes,
             "BEP 15: what fits one datagram"),
      AtMost("--retry-in", settings.retry_in, 24 * 60, "a day"),
      AtMost("--min-interval", settings.min_interval, settings.announce_interval,
             "--announce-interval"),
      AtMost("--max-scrape-hashes", settings.max_scrape_hashes,
             (std::max(settings.max_request_line, kScrapeLineFixedBytes) - kScrapeLineFixedBytes) /
                 kScrapeLineBytesPerHash,
             "what a request line of --max-request-line " +
                 std::to_string(settings.max_request_line) + " bytes holds, percent-encoded"),
      AtMost("--max-scrape-hashes", settings.max_scrape_hashes, kMaxScrapeHashes,
             "what one message to a shard carries")};
  for (const Status& status : checks) {
    if (!status) return status;
  }
  if (settings.max_output_bytes < kMinOutputBytes) {
    return Error{"--max-output-bytes must be at least " + std::to_string(kMinOutputBytes) +
                 " (a reply's head and an info page), not " +
                 std::to_string(settings.max_output_bytes)};
  }
  if (settings.socket_timeout * 1000 <= settings.shard_timeout_ms) {
    return Error{"--socket-timeout (" + std::to_string(settings.socket_timeout) +
                 " s) must be longer than --shard-timeout-ms (" +
                 std::to_string(settings.shard_timeout_ms) +
                 " ms), or a connection waiting for its shard is closed as idle"};
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

Result<ClientRequestLimiter> ClientRequestLimiterFrom(const FrontendSettings& settings) {
  if (settings.client_request_burst < 1) {
    return Error{"--client-request-burst must be at least 1, not 0"};
  }
  return ClientRequestLimiter(settings.client_request_rate, settings.client_request_burst);
}

Result<Duration> BatchWindowFrom(const FrontendSettings& settings) {
  if (settings.batch_window_us > kMaxBatchWindowUs) {
    return Error{"--batch-window-us must be at most " + std::to_string(kMaxBatchWindowUs) +
                 ", not " + std::to_string(settings.batch_window_us)};
  }
  return Duration(std::chrono::microseconds(settings.batch_window_us));
}

Result<AnnounceOptions> AnnounceOptionsFrom(const FrontendSettings& settings) {
  auto ip_override = ParseIpOverride(settings.ip_override);
  if (!ip_override) {
    return Error{"--ip-override must be local, always or never, not '" + settings.ip_override +
                 "'"};
  }
  return AnnounceOptions{settings.response_size, settings.max_give, *ip_override};
}

namespace {

// `--NAME`'s path, `--NAME-interval` checked, and the mode (allow or deny) given as `mode`.
Result<ListFileSettings> ListFileSettingsFrom(const std::string& name, const std::string& path,
                                              std::uint32_t interval,
                                              const std::string& mode_flag = {},
                                              const std::string& mode = "allow") {
  auto parsed_mode = ParseAccessMode(mode);
  if (!parsed_mode) {
    return Error{"--" + mode_flag + " must be allow or deny, not '" + mode + "'"};
  }
  if (interval < 1) return Error{"--" + name + "-interval must be at least 1 second, not 0"};
  return ListFileSettings{path, *parsed_mode, std::chrono::seconds(interval)};
}

}  // namespace

Result<ListFileSettings> AccessSettingsFrom(const FrontendSettings& settings) {
  return ListFileSettingsFrom("access-list", settings.access_list, settings.access_list_interval,
                              "access-mode", settings.access_mode);
}

Result<ListFileSettings> PasskeySettingsFrom(const FrontendSettings& settings) {
  return ListFileSettingsFrom("passkey-file", settings.passkey_file,
                              settings.passkey_file_interval);
}

Result<ListFileSettings> ClientListSettingsFrom(const FrontendSettings& settings) {
  return ListFileSettingsFrom("client-list", settings.client_list, settings.client_list_interval,
                              "client-mode", settings.client_mode);
}

Result<ListFileSettings> IpListSettingsFrom(const FrontendSettings& settings) {
  return ListFileSettingsFrom("ip-list", settings.ip_list, settings.ip_list_interval, "ip-mode",
                              settings.ip_mode);
}

}  // namespace shardtrack

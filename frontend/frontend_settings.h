// FrontendSettings: every setting and limit of a frontend process, with its default and why.
// Register() names them on a FlagSet (command line, SHARDTRACK_* environment, --help, README),
// each number with the range it allows; CheckRequestLimits checks what relates two settings, and
// the *From functions turn them into what the code takes. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/flags.h"
#include "common/logging.h"
#include "common/reactor/udp_socket.h"
#include "common/result.h"
#include "frontend/access/modal_list.h"
#include "frontend/announce_request.h"
#include "frontend/client_request_limiter.h"
#include "frontend/udp/udp_tracker_protocol.h"

namespace shardtrack {

// The longest --batch-window-us: past 10 ms the wait would be felt, and no turn saves more.
inline constexpr std::uint32_t kMaxBatchWindowUs = 10000;
// The shortest and longest --shard-heartbeat-ms but 0: ZeroMQ counts a ping's time to live (three
// of them) in tenths of a second, up to 65535.
inline constexpr std::int64_t kShortestShardHeartbeatMs = 100;
inline constexpr std::int64_t kLongestShardHeartbeatMs = 600000;
// The least --max-output-bytes: below it a reply's head and the info page would not fit.
inline constexpr std::uint32_t kMinOutputBytes = 4096;

struct FrontendSettings {
  // Where clients connect. Loopback by default so a newcomer's first run exposes nothing;
  // containers set 0.0.0.0.
  std::string bind = "127.0.0.1";
  std::uint16_t port = 6969;
  // HOST:PORT for /metrics apart from the tracker's port, which then answers it 404: a tracker
  // open to the Internet keeps its metrics on loopback. Empty: on --port.
  std::string metrics_listen;
  // SO_REUSEPORT, so several frontends on one host share the port (scripts/run --frontends K).
  bool reuse_port = false;
  // The UDP tracker (BEP 15) on --bind. Off (0) unless asked for: a UDP port is one more thing
  // exposed; scripts/run uses the HTTP port number.
  std::uint16_t udp_port = 0;
  // A UDP datagram longer than this is dropped unanswered. At least BEP 15's longest request (a
  // scrape of 74 hashes, 1,496 bytes) so every valid request is read whole; at most 65,535,
  // UDP's own limit. The receive buffers take 32 times this.
  std::uint32_t udp_max_datagram_bytes = 2048;
  // UDP datagrams read per reactor turn before the loop serves its other handles (HTTP clients,
  // shard replies); the rest wait in the kernel's buffer for the next turn.
  std::uint32_t udp_datagrams_per_turn = 64;
  // The longest UDP announce reply: num_want is capped at the peers that fit. The default keeps
  // replies whole on any IPv6 path (udp_tracker_protocol.h); raise it only where the path's MTU
  // is known to be larger.
  std::uint32_t udp_max_reply_bytes = kUdpDefaultReplyBytes;
  // A file whose contents key the UDP connection ids (frontend/udp/udp_secret_file.h): frontends
  // given the same file accept each other's ids, also after a restart. Empty: a random key.
  std::string udp_secret_file;
  // Real client addresses behind a load balancer (frontend/client_address.h). A connection from
  // a trusted proxy may start with a PROXY v1/v2 header naming the client; from anyone else such
  // a header is refused. Empty: nobody is trusted, no header is believed.
  std::vector<std::string> trusted_proxies;
  bool trust_x_forwarded_for = false;  // X-Forwarded-For, believed from trusted proxies only
  bool require_proxy_header = false;   // only trusted proxies with a PROXY header may connect
  // On SIGTERM, /readyz fails at once but connections are still accepted for this long, so a
  // balancer's health check takes the frontend out before it stops listening (haproxy: inter x
  // fall). 0 for a frontend without a balancer.
  std::int64_t drain_grace_ms = 0;

  // Shard endpoints in shard-index order (tcp://host:port). Every frontend must list the same.
  std::vector<std::string> shards;
  // CURVE to shards on other machines (common/curve_keys.h): this frontend's secret key and the
  // shards' public key. Both or neither; empty: plain TCP, for a private network only.
  std::string curve_secret_file;
  std::string shard_public_key_file;

  // While requests come faster than one per window, the loop reads client input at most once
  // per window (EventLoop::SetBatchWindow), so that it handles and sends them to the shards in
  // batches; shard replies are written at once. Up to this much latency for much less CPU per
  // request under load (at 25,000 announces/s on one core: 39 -> 24-28 us; docs/benchmarks.md).
  // 0: every request is read as soon as it arrives.
  std::uint32_t batch_window_us = 500;

  // Connections (the original tracker's socket_timeout was 15 s).
  std::uint32_t max_connections = 10000;
  std::uint32_t listen_backlog = 1024;  // listen(2)'s backlog: a burst of new connections
  // Connections one client may hold at once (an IPv6 client: its /64), so that one host cannot
  // take every slot of max_connections; beyond it 429 and close. Clients behind one address
  // (carrier-grade NAT) share it: a client holds a connection for one announce, or for
  // socket_timeout with keep-alive. 0: no limit.
  std::uint32_t max_connections_per_client = 256;
  // Tracker requests (announces, scrapes and info pages, over HTTP and UDP together) one client
  // (an IPv6 client: its /64) may make a second on average, and at once from idle, so that one
  // address cannot take the loop for itself; beyond them a failure reason asking to retry in a
  // minute (BEP 31). A client announces each torrent once per announce_interval, but clients
  // behind one address (carrier-grade NAT) share its allowance, and a client starting with
  // thousands of torrents announces them all at once: set it for abuse, far above that.
  // 0: no limit (the default: what is abuse depends on who a tracker serves).
  std::uint32_t client_request_rate = 0;
  std::uint32_t client_request_burst = 100;
  std::int64_t socket_timeout = 15;  // seconds of silence before an idle connection is closed
  // Seconds a client has to finish a request it began (408 and close beyond), so that one that
  // trickles a byte now and then cannot keep a connection for ever. 0: no limit.
  std::uint32_t request_timeout = 10;
  // TCP_DEFER_ACCEPT: the kernel hands a connection over once its request arrived, so it is read
  // right after accept (no wasted wake-up or read). A connection that sends nothing for this
  // long is handed over anyway and then meets socket_timeout. 0: off.
  std::uint32_t defer_accept = 5;
  std::uint32_t max_output_bytes = 1 << 20;  // unsent reply bytes before a slow reader is dropped

  // HTTP limits: a real announce is a few hundred bytes; anything far larger is abuse.
  // 414 beyond. A scrape of max_scrape_hashes escaped infohashes (~70 bytes each) must fit.
  std::uint32_t max_request_line = 8192;
  std::uint32_t max_header_bytes = 8192;  // 431 beyond (all header lines together)
  std::uint32_t max_pipelined = 32;       // requests in flight on one connection

  // Announce (values of the original tracker).
  std::uint32_t response_size = 50;        // peers given when numwant is absent
  std::uint32_t max_give = 200;            // numwant is capped here
  std::uint32_t announce_interval = 1800;  // reannounce_interval
  // BEP 31's `retry in`: the minutes a client refused because the tracker is busy, its shard is
  // unavailable or it is over its rate is asked to wait: sooner than its next announce, later
  // than a client's own quick retries, which would pile onto a tracker that is struggling.
  std::uint32_t retry_in = 1;
  std::uint32_t min_interval = 900;
  // Seconds the interval is spread over around announce_interval (AnnounceInterval), which
  // takes at most announce_interval. opentracker's default spread.
  std::uint32_t interval_jitter = 180;
  // Whose `ip=` parameter is believed: local (loopback and private sources, the original
  // tracker's only_local_override_ip), always, or never.
  IpOverride ip_override = IpOverride::kLocal;

  // Scrape and the info page.
  bool full_scrape = true;                   // /scrape without info_hash lists every torrent
  std::uint32_t max_scrape_hashes = 64;      // info_hash parameters in one scrape (opentracker: 64)
  std::uint32_t max_udp_scrape_hashes = 74;  // BEP 15: 74 is what fits one datagram (the cap)
  std::uint32_t full_scrape_limit = 100000;  // torrents in one full scrape, per shard
  std::uint32_t full_scrape_cache = 10;      // seconds a full scrape's reply is reused (0: never)
  bool full_scrape_gzip = true;              // gzip it for clients whose Accept-Encoding takes gzip
  std::uint32_t info_page_torrents = 100;    // rows in the / page's table, most peers first
  // Seconds the info page is reused: every request otherwise has each shard find its top
  // torrents (a walk of all of them below 20,000), which a flood of / turned into latency for
  // everyone (p50 0.6 -> 17 ms in a review).
  std::uint32_t info_page_cache = 2;

  // Which torrents are served (the original tracker's allowed_dir, opentracker's whitelist or
  // blacklist): a file of infohashes, one a line (frontend/access/access_list.h). Empty: every
  // torrent is served.
  std::string access_list;
  // allow: only the listed torrents are served (a private tracker); deny: the listed ones are
  // refused (a public tracker's block list).
  AccessMode access_mode = AccessMode::kAllow;
  // Seconds between checks of the file's size, mtime and inode; a changed file is read again
  // off the loop. The original tracker's parse_allowed_interval was 15 minutes; a stat a minute
  // costs nothing and an operator sees a change take effect soon.
  std::uint32_t access_list_interval = 60;

  // Members only (a private tracker): a file of passkeys, one a line
  // (frontend/access/passkey_list.h). Every announce and scrape must then name a listed one in
  // its path, /<passkey>/announce. Empty: no passkey is needed.
  std::string passkey_file;
  std::uint32_t passkey_file_interval = 60;  // seconds between checks, as access_list_interval

  // Which BitTorrent clients may announce (a private tracker's client whitelist, or a block
  // list of clients that cheat): a file of peer id prefixes, one a line
  // (frontend/access/client_list.h). Empty: every client.
  std::string client_list;
  AccessMode client_mode = AccessMode::kAllow;  // as access_mode: allow or deny the listed clients
  std::uint32_t client_list_interval = 60;      // seconds between checks, as access_list_interval
  // --ip-list FILE: client addresses, CIDR blocks and ranges (frontend/access/ip_list.h).
  // Empty: every address.
  std::string ip_list;
  AccessMode ip_mode = AccessMode::kDeny;  // deny (a block list) or allow (only the listed)
  std::uint32_t ip_list_interval = 60;     // seconds between checks, as access_list_interval

  // The hop to the shards.
  std::int64_t shard_timeout_ms = 1000;  // a request unanswered this long fails
  // ZeroMQ pings each shard connection this often (0: never), and a connection with no word
  // for three of them is made again: a shard host gone without a FIN (a power cut, a lost
  // route) is found in seconds, not TCP's quarter of an hour.
  std::int64_t shard_heartbeat_ms = 2000;
  std::uint32_t max_pending_per_shard = 50000;  // queued requests before new ones fail at once

  LogLevel log_level = LogLevel::kInfo;

  void Register(FlagSet& flags);
  // Everything but the shard list, the CURVE keys and the log level: what shardtrack-node takes for
  // its frontend, whose shards are its own.
  void RegisterServing(FlagSet& flags);
};

// What --access-mode, --client-mode and --ip-mode take: allow or deny.
const Words<AccessMode>& AccessModeWords();

// The UDP tracker's socket options from the settings.
UdpSocket::Options UdpSocketOptionsFrom(const FrontendSettings& settings);

// What relates two settings, which their ranges cannot say: --min-interval within
// --announce-interval, a scrape of --max-scrape-hashes within --max-request-line, and
// --socket-timeout longer than --shard-timeout-ms (the idle sweep would close a connection
// waiting for its shard). An error names the settings and the bound.
Status CheckRequestLimits(const FrontendSettings& settings);

// The most bytes one torrent takes in a full scrape's bencoded reply (123 with four ten-digit
// counts), and what its name adds besides the name's own bytes ("4:name" and the name's length).
inline constexpr std::uint32_t kFullScrapeBytesPerTorrent = 125;
inline constexpr std::uint32_t kFullScrapeBytesPerName = 10;
// Torrents each shard lists in a full scrape: --full-scrape-limit (0: no limit), lowered so the
// whole reply fits --max-output-bytes, names of up to `longest_name` bytes included. A reply
// over it would be cut off, half-sent, for any client reading it slower than it is written (at
// 2M torrents, 6 of 7 full scrapes were).
std::uint32_t FullScrapeLimitPerShard(const FrontendSettings& settings,
                                      std::size_t longest_name = 0);

// The limiter of --client-request-rate and --client-request-burst.
ClientRequestLimiter ClientRequestLimiterFrom(const FrontendSettings& settings);

// --batch-window-us as EventLoop::SetBatchWindow takes it.
Duration BatchWindowFrom(const FrontendSettings& settings);

// --ip-override, --response-size and --max-give: what the announce parser takes.
AnnounceOptions AnnounceOptionsFrom(const FrontendSettings& settings);

// A list file's settings: `path` empty means the list is off.
struct ListFileSettings {
  std::string path;
  AccessMode mode = AccessMode::kAllow;  // what the list's entries get (not for passkeys)
  Duration interval = std::chrono::seconds(60);
};
ListFileSettings AccessSettingsFrom(const FrontendSettings& settings);
ListFileSettings PasskeySettingsFrom(const FrontendSettings& settings);
ListFileSettings ClientListSettingsFrom(const FrontendSettings& settings);
ListFileSettings IpListSettingsFrom(const FrontendSettings& settings);

}  // namespace shardtrack

// MetricsHttpServer: the HTTP server of --metrics-listen, a port of the metrics' own (the shard's
// only HTTP; a frontend's apart from its tracker port). GET /metrics renders the registry in the
// Prometheus text format, GET /healthz answers "ok"; any other path is 404, and HEAD is GET
// without the body. The request is read with the tracker port's HttpRequestParser, so a malformed
// one gets the parser's status (400, 405 with Allow, 413, 414, 431, 505). One response per
// connection, whatever the client asked, then close. Holds references to the loop and the
// registry (owned by the caller, both must outlive it). Loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/http/http_request_parser.h"
#include "common/http/http_response.h"
#include "common/metrics.h"
#include "common/reactor/socket_util.h"
#include "common/reactor/tcp_server.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

struct HostPort {
  std::string host;  // IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 0;
};

// "127.0.0.1:9100", "0.0.0.0:0", "[::1]:9100". An error names the text.
Result<HostPort> ParseHostPort(std::string_view text);

// The process's other TCP listener, whose port --metrics-listen must leave to it.
struct OtherListener {
  std::string_view flag;  // "--port", "--listen"
  Endpoint at;
};
// Whether --metrics-listen is written as ServeMetrics takes it (empty: off), on a port of its own:
// not `other`'s port on `other`'s address, or on an address a wildcard of either covers (:: all,
// 0.0.0.0 IPv4's). Binds nothing.
Status CheckMetricsListen(std::string_view listen,
                          const std::optional<OtherListener>& other = std::nullopt);

// Listens where ServeMetrics would (empty: none asked, nothing held) and holds the socket until
// the caller drops it (see HoldListen), so that a process says what is wrong with its
// --metrics-listen before a slow start.
Result<UniqueFd> HoldMetricsListen(std::string_view listen);

class MetricsHttpServer final : public TcpHandler {
 public:
  // The parser's two limits: the request line (414 beyond) and, apart, the header lines without
  // their line ends (431 beyond). A scrape's head is a few hundred bytes.
  static constexpr std::size_t kMaxRequestBytes = 8192;
  // ServeMetrics' limit: scrapers and health checks, not clients. Past it a connection is
  // closed at once, so that a flood of them cannot hold the process's descriptors.
  static constexpr std::size_t kMaxConnections = 64;
  // A scraper or health check sends its request at once; a connection that has not, however
  // slowly it trickles bytes, is answered 408 and closed then, so that a few cannot hold every
  // one of the server's connections.
  static constexpr Duration kRequestDeadline = std::chrono::seconds(10);

  MetricsHttpServer(EventLoop& loop, TcpServerOptions options, const MetricsRegistry& registry,
                    Duration request_deadline = kRequestDeadline);
  ~MetricsHttpServer() override;
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  Status Listen() { return tcp_.Listen(); }
  std::uint16_t port() const { return tcp_.port(); }

  void OnOpen(ConnectionId id, const IpAddress& remote, std::uint16_t remote_port) override;
  void OnData(ConnectionId id, std::string& input) override;
  void OnClose(ConnectionId id) override;

 private:
  // A connection not answered yet: its request so far, and when it is answered 408.
  struct Unanswered {
    HttpRequestParser parser;
    TimerId deadline = 0;
  };

  void Route(ConnectionId id, const HttpRequest& request);
  // Answers the parser's or the deadline's status, the reason as the body; the client may still
  // be sending, so its input is drained before the close (TcpServer::SendLast).
  void Refuse(ConnectionId id, int status, std::string_view reason);
  // Writes the one response and forgets the connection: later bytes are ignored, no 408 follows.
  void Answer(ConnectionId id, const HttpResponseHead& head, std::string_view body);
  void Forget(ConnectionId id);

  EventLoop& loop_;
  Duration request_deadline_;
  std::unordered_map<ConnectionId, Unanswered> unanswered_;
  TcpServer tcp_;
  const MetricsRegistry& registry_;
};

// Builds a server for `listen` ("HOST:PORT") and starts listening; nullptr when `listen` is
// empty (metrics off). Logs "metrics: http://HOST:PORT/metrics" once it listens.
Result<std::unique_ptr<MetricsHttpServer>> ServeMetrics(EventLoop& loop, std::string_view listen,
                                                        const MetricsRegistry& registry);

}  // namespace shardtrack

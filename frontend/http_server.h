// HttpServer: HTTP/1.x connections over a TcpServer. It parses requests (keep-alive and
// pipelining), hands each to a RequestHandler with a ResponseSlot, and writes responses in request
// order whenever they arrive, now or after a shard answered. It knows nothing of trackers.
//
// Per connection at most `max_pipelined` requests are in flight, and the answers waiting behind
// an unanswered one hold at most the TcpServer's `max_output_bytes`; past either, reading pauses.
// An answer that comes late, once they hold it, closes the connection as a slow reader would
// be: its client asked for more than it may be held (full scrapes pipelined behind an announce).
// A malformed request is answered with its status (400, 405, 413, 414, 431, 505) and the
// connection closes after it; so is a request begun and not finished within `request_timeout`
// (408), which the idle timeout alone would not catch from a client that trickles its bytes.
//
// Before any HTTP, the connection's client is decided by the ClientAddressPolicy: a PROXY
// header (v1 or v2) from a trusted proxy names the client; one from anyone else is refused with
// 400 and the connection closed (with --require-proxy-header, a connection from anyone but a
// trusted proxy is closed as it is accepted); X-Forwarded-For is applied per request when the
// policy says so. The handler only ever sees the decided client.
//
// Each client may hold at most `max_connections_per_client` connections (ClientConnectionCounter;
// 0: no limit). A connection over it is answered 429 and closed. A connection is counted as soon
// as its client is known: at accept for a direct one, after its PROXY header behind a trusted
// proxy; a trusted proxy's own connections are not counted, as they carry many clients.
// Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/http/http_request_parser.h"
#include "common/http/http_response.h"
#include "common/ip_address.h"
#include "common/log_throttle.h"
#include "common/node_pool.h"
#include "common/reactor/periodic_timer.h"
#include "common/reactor/tcp_server.h"
#include "frontend/client_address.h"
#include "frontend/client_connection_counter.h"

namespace shardtrack {

// Where a response goes: the connection and the request's place in its pipeline.
struct ResponseSlot {
  ConnectionId connection = 0;
  std::uint64_t sequence = 0;
};

struct HttpResponse {
  int status = 200;
  std::string_view content_type = "text/plain";
  std::string_view body;
  std::span<const HttpHeaderField> extra_headers;
  // Close the connection: the requests already read are still answered, then it closes.
  bool close = false;
};

class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Answer now or later with HttpServer::Respond(slot, ...). Every request must be answered.
  virtual void OnRequest(ResponseSlot slot, const HttpRequest& request,
                         const IpAddress& client) = 0;
  // The Allow header of a 405 for a method other than GET and HEAD (RFC 9110: the methods its
  // target takes; `path` is "/" for a target without one). The view must outlive the call.
  virtual std::string_view AllowedMethods(std::string_view /*path*/) const { return kGetOrHead; }
};

struct HttpServerOptions {
  TcpServerOptions tcp;
  HttpLimits limits;
  std::uint32_t max_pipelined = 32;
  Duration request_timeout = std::chrono::seconds(10);  // zero: no limit
  std::uint32_t max_connections_per_client = 0;         // zero: no limit
  ClientAddressPolicy client_address;  // default: trust nobody, believe no PROXY header
};

class HttpServer final : public TcpHandler {
 public:
  HttpServer(EventLoop& loop, HttpServerOptions options, RequestHandler& handler);

  Status Listen() { return tcp_.Listen(); }
  std::uint16_t port() const { return tcp_.port(); }
  std::size_t connection_count() const { return tcp_.connection_count(); }
  // Closed after an error answer, still taking the client's last bytes (up to 2 s): they count
  // towards --max-connections.
  std::size_t lingering_count() const { return tcp_.lingering_count(); }
  void StopAccepting() { tcp_.StopAccepting(); }
  std::size_t requests_in_flight() const { return in_flight_; }
  std::size_t unsent_bytes() const { return tcp_.unsent_bytes(); }
  // Requests answered with an error status before reaching the handler (408s included).
  std::uint64_t malformed_requests() const { return malformed_requests_; }
  // Connections refused by the client address policy (e.g. a PROXY header from an untrusted peer).
  std::uint64_t refused_connections() const { return refused_connections_; }
  std::uint64_t closed_over_connection_limit() const { return tcp_.closed_over_limit(); }
  // Slow readers, and connections whose answers waiting behind an earlier one grew past the limit.
  std::uint64_t closed_slow_readers() const {
    return tcp_.closed_slow_readers() + closed_holding_too_much_;
  }
  std::uint64_t accept_failures() const { return tcp_.accept_failures(); }
  // Connections answered 429 because their client already held max_connections_per_client.
  std::uint64_t connections_over_client_limit() const { return over_client_limit_; }

  // Delivers the response for `slot`; dropped quietly if the connection is gone.
  void Respond(ResponseSlot slot, const HttpResponse& response);

  void OnOpen(ConnectionId id, const IpAddress& remote, std::uint16_t remote_port) override;
  void OnData(ConnectionId id, std::string& input) override;
  void OnClose(ConnectionId id) override;
  // A client that half-closes after its requests still gets every answer, then the close.
  bool KeepOpenAfterInputEnd(ConnectionId id) override;

 private:
  struct Pending {
    std::uint64_t sequence;
    bool head_request;
    bool keep_alive;
    bool ready = false;
    std::string bytes;         // the serialised response once ready
    bool drain_input = false;  // an error answer: drain what the client still sends
  };
  // Kept for reuse once closed (see spare_connections_): Open() starts it afresh.
  struct Connection {
    explicit Connection(HttpLimits limits) : parser(limits) {}
    void Open(const IpAddress& peer);

    IpAddress remote;  // the socket peer until the origin is known, then the client it names
    HttpRequestParser parser;
    std::deque<Pending> pipeline;  // requests in flight, oldest first
    // Bytes of answers ready in `pipeline` behind an earlier one still unanswered: they count
    // towards max_output_bytes, so a client cannot pile up max_pipelined large answers there.
    std::size_t held_bytes = 0;
    std::uint64_t next_sequence = 0;
    bool closing = false;  // no more requests are read: an error or Connection: close
    bool paused = false;
    bool origin_known = false;   // the PROXY header (or its absence) has been dealt with
    bool counted = false;        // in client_connections_ under `remote`
    bool request_begun = false;  // bytes of an unfinished request (or PROXY header) arrived
    // The client may still be sending, so the close drains its input: input came after the last
    // request read, or the server closes a connection its client meant to keep (draining).
    bool may_be_sending = false;
    bool closed_by_server = false;
    MonoTime request_begun_at{};
  };

  bool ResolveOrigin(ConnectionId id, Connection& connection, std::string& input);
  bool AdmitClient(ConnectionId id, Connection& connection);
  void CountRefusal(const std::string& reason);  // loud, but at most one line a minute
  void ParseRequests(ConnectionId id, Connection& connection, std::string& input);
  // Closes once the requests already read are answered, the last with Connection: close.
  void ReadNoMore(ConnectionId id, Connection& connection);
  // Answers `status` and closes; `drain_input`: the client may still be sending (see
  // TcpServer::SendLast).
  // `allow`: a 405's Allow header.
  void Reject(ConnectionId id, Connection& connection, int status, std::string_view reason,
              bool drain_input = true, std::string_view allow = kGetOrHead);
  void WriteReady(ConnectionId id, Connection& connection);
  // Closes a connection given one more answer to hold behind an unanswered one past the limit.
  void DropHoldingTooMuch(ConnectionId id, Connection& connection);
  // Below max_pipelined requests in flight and max_output_bytes of answers held (HoldsLess).
  bool MayTakeMore(const Connection& connection) const;
  bool HoldsLess(const Connection& connection) const;
  void NoteUnfinishedRequest(Connection& connection, const std::string& input);
  void TimeOutSlowRequests();

  EventLoop& loop_;
  TcpServer tcp_;
  HttpServerOptions options_;
  RequestHandler& handler_;
  using ConnectionMap = std::unordered_map<ConnectionId, std::unique_ptr<Connection>>;
  ConnectionMap connections_;
  // Closed connections' map nodes, reused by the next ones (with their parser's buffers and their
  // pipeline's blocks), so a connection per request allocates nothing once warm.
  NodePool<ConnectionMap> spare_connections_;
  std::size_t in_flight_ = 0;
  // One response buffer recycled between responses, so a warm server builds a response
  // without allocating (a pipelined connection may still hold several).
  std::string spare_bytes_;
  std::uint64_t malformed_requests_ = 0;
  std::uint64_t refused_connections_ = 0;
  ClientConnectionCounter client_connections_;
  std::uint64_t over_client_limit_ = 0;
  std::uint64_t closed_holding_too_much_ = 0;
  LogThrottle refusal_log_;       // refused connections (CountRefusal)
  LogThrottle client_limit_log_;  // connections over --max-connections-per-client
  LogThrottle holding_log_;       // DropHoldingTooMuch
  std::optional<PeriodicTimer> request_sweep_;
};

}  // namespace shardtrack

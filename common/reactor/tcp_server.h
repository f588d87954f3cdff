// TcpServer: a non-blocking listener and its connections on an EventLoop. Bytes in, bytes out;
// it knows nothing of HTTP. Connections are named by ConnectionId, never by pointer, so a
// protocol layer that answers later (after a shard replied) cannot touch a closed connection:
// Send() to a closed id is a no-op that returns false.
//
// Limits: `max_connections` (over it a new connection is accepted, answered `over_limit_reply`
// and closed at once; closed connections still draining a refused client's input count too),
// `idle_timeout` (a connection that neither read nor wrote a byte for that long is closed),
// `max_output_bytes` (a connection whose unsent output grows past it is closed: a slow reader
// must not pin memory). Idle means no byte read or written for `idle_timeout`; one sweep timer
// at a quarter of the timeout finds idle connections, so one closes within 1.25 x the timeout.
//
// Handler calls never nest inside a TcpServer method the handler called: a connection closed
// by Close(), by an error or by the peer leaves at once (Send() returns false), and its OnClose
// follows after the turn's ready handles (in the timer phase). Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "common/log_throttle.h"
#include "common/node_pool.h"
#include "common/reactor/event_loop.h"
#include "common/reactor/periodic_timer.h"
#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

using ConnectionId = std::uint64_t;

struct TcpServerOptions {
  std::string bind_address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" or "::" for all
  std::uint16_t port = 0;                  // 0: an ephemeral port, see TcpServer::port()
  std::size_t max_connections = 10000;
  // The setting that sets max_connections, named in the log's advice when the limit or the
  // open-file limit is met; empty for a fixed limit.
  std::string max_connections_setting;
  // Written to a connection refused over max_connections before it closes (the protocol's "busy",
  // e.g. an HTTP 503), if the socket takes it at once; empty: closed without a word.
  std::string over_limit_reply;
  Duration idle_timeout = std::chrono::seconds(15);
  std::size_t max_output_bytes = 4 << 20;
  int listen_backlog = 1024;
  // SO_REUSEPORT: several frontend processes share one port and the kernel spreads connections.
  bool reuse_port = false;
  // TCP_DEFER_ACCEPT: a connection is handed over only once its first bytes arrived (or this many
  // seconds passed), so its request is read right after accept; 0: off.
  int defer_accept_seconds = 0;
};

// Implemented by the protocol layer.
class TcpHandler {
 public:
  virtual ~TcpHandler() = default;
  // What arrived with the connection is already read (it comes in OnData next), so a connection
  // refused here with SendLast closes with nothing unread: its client gets the bytes, not a reset.
  virtual void OnOpen(ConnectionId id, const IpAddress& remote, std::uint16_t remote_port) = 0;
  // `input` holds every byte received and not yet consumed; erase what you consumed.
  virtual void OnData(ConnectionId id, std::string& input) = 0;
  // The connection is gone (peer closed, error, idle, or Close()). No more calls for `id`.
  virtual void OnClose(ConnectionId id) = 0;
  // The peer shut down its sending side (EOF) after the input delivered so far. Return true to
  // keep the connection open for writing (answers still to come: the handler then closes it,
  // e.g. with SendLast); the default closes it at once.
  virtual bool KeepOpenAfterInputEnd(ConnectionId /*id*/) { return false; }
};

class TcpServer {
 public:
  TcpServer(EventLoop& loop, TcpServerOptions options, TcpHandler& handler);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds and listens. The error names the address and the reason (e.g. port in use).
  Status Listen();
  std::uint16_t port() const { return port_; }

  // Queues bytes and writes what the socket takes now; the rest goes out as it drains.
  bool Send(ConnectionId id, std::string_view bytes);
  // Queues the connection's last bytes (may be empty) and closes once every queued byte was
  // written (HTTP/1.0, Connection: close, errors); the FIN rides on the last data segment.
  // `drain_input`: the peer may still be sending (we refused its request): shut our side down
  // and read and drop its input until its EOF or a deadline before closing, so the kernel does
  // not answer unread input with a reset that could destroy our last bytes. It costs a few
  // system calls, so a normal close does without it.
  void SendLast(ConnectionId id, std::string_view bytes, bool drain_input = false);
  void Close(ConnectionId id);
  // Stops reading new input from `id` (pipelining back-pressure) or resumes it. On resume, a
  // connection with unconsumed input gets OnData again later in the turn.
  void PauseReading(ConnectionId id);
  void ResumeReading(ConnectionId id);

  // Closes the listener; open connections carry on (graceful shutdown).
  void StopAccepting();
  std::size_t connection_count() const;
  // Output queued here that the sockets have not taken yet, over every connection (a drain waits
  // for it: what is left at exit is lost).
  std::size_t unsent_bytes() const;
  // Closed connections still draining a refused client's input (at most max_connections / 4).
  std::size_t lingering_count() const { return lingering_.size(); }
  // Connections refused at once because max_connections were open.
  std::uint64_t closed_over_limit() const { return closed_over_limit_; }
  // Connections closed because their client left more than max_output_bytes unread.
  std::uint64_t closed_slow_readers() const { return closed_slow_readers_; }
  // accept() failures for want of descriptors or memory (each pauses accepting).
  std::uint64_t accept_failures() const { return accept_failures_; }

 private:
  class Connection;
  using ConnectionMap = std::unordered_map<ConnectionId, std::unique_ptr<Connection>>;

  void AcceptAll();
  void PauseAccepting();
  void RefuseOverLimit(int fd);
  std::string LimitAdvice(std::string_view verb) const;
  void Open(int fd, const IpAddress& remote, std::uint16_t remote_port);
  void OnReady(Connection& connection, short ready);
  bool QueueAndFlush(Connection& connection, std::string_view bytes);
  // What a read found besides bytes: the peer may send more, has ended its input, or is gone.
  enum class Received { kMore, kEnded, kReset };
  void ReadInput(Connection& connection);  // Receive, then Deliver
  Received Receive(Connection& connection);
  void Deliver(Connection& connection, Received received);
  // The peer's EOF, told to the handler once every byte before it was delivered; without
  // answers to come, the connection closes once what is queued went out.
  void EndInputOnceDelivered(Connection& connection);
  bool Flush(Connection& connection);
  // After a write: closes a connection whose last bytes went out, else watches for what it
  // still needs. False when it closed.
  bool AfterWrite(Connection& connection);
  void UpdateEvents(Connection& connection);
  void CloseConnection(ConnectionMap::iterator it);
  void Linger(ConnectionMap::iterator it);
  void DrainLingering(int fd);
  void CloseLingering(int fd);
  // Closes the lingering sockets whose time is up, at the first one's deadline: the idle sweep,
  // a quarter of the idle timeout apart, would hold them (and their places) longer.
  void ScheduleLingerSweep();
  void CloseExpiredLingering();
  // Whether a linger_order_ entry is the socket's linger still under way.
  bool StillLingering(const std::pair<int, MonoTime>& entry) const;
  void ScheduleDeferred();
  void RunDeferred();
  void SweepIdle();

  EventLoop& loop_;
  TcpServerOptions options_;
  TcpHandler& handler_;
  UniqueFd listen_fd_;
  std::uint16_t port_ = 0;
  ConnectionId next_id_ = 1;
  ConnectionMap connections_;
  // Closed connections (their map nodes) wait here until no stack frame can use them; their
  // OnClose is pending. Then spare_ keeps them for new connections.
  std::vector<ConnectionMap::node_type> closed_;
  NodePool<ConnectionMap> spare_;
  std::vector<ConnectionId> pending_close_;
  // Connections closed with drain_input, after their last bytes: fd -> deadline.
  std::unordered_map<int, MonoTime> lingering_;
  // The same, oldest first (every deadline is kLingerTimeout after its start, so this is their
  // order), with entries of sockets closed early left until they reach the front.
  std::deque<std::pair<int, MonoTime>> linger_order_;
  std::vector<ConnectionId> pending_resume_;
  // RunDeferred's working lists (members so that they keep their capacity).
  std::vector<ConnectionMap::node_type> running_closed_;
  std::vector<ConnectionId> running_resume_;
  std::vector<ConnectionId> running_close_;
  std::vector<ConnectionId> scratch_;
  std::optional<TimerId> deferred_timer_;
  std::optional<PeriodicTimer> idle_sweep_;  // from Listen()
  std::optional<TimerId> accept_retry_timer_;
  std::optional<TimerId> linger_timer_;
  std::uint64_t closed_over_limit_ = 0;
  std::uint64_t accept_failures_ = 0;
  std::uint64_t closed_slow_readers_ = 0;
  LogThrottle over_limit_log_;
  LogThrottle slow_reader_log_;
  LogThrottle accept_failure_log_;
};

}  // namespace shardtrack

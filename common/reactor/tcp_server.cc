#include "common/reactor/tcp_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/reactor/socket_util.h"

namespace shardtrack {
namespace {

// Accepting is bounded per turn so a connection flood cannot starve established connections.
constexpr int kMaxAcceptsPerTurn = 256;
// Reading is bounded per turn for the same reason; level-triggered polling brings us back.
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr int kMaxReadsPerTurn = 4;
// After EMFILE/ENFILE the listener rests this long instead of spinning on a full table.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// How long a connection closed after its last response keeps draining a client's input.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
// A closed connection kept for reuse keeps less: a request and its reply take a few hundred
// bytes, and a burst of connections that each moved 64 KiB must not leave a thousand spares
// pinning 128 MiB when it is over.
constexpr std::size_t kMaxSpareBufferBytes = 4 * 1024;

}  // namespace

class TcpServer::Connection {
 public:
  Connection() = default;
  // Hands the descriptor over (to the lingering set); the connection no longer closes it.
  int ReleaseFd() { return fd_.Release(); }
  void CloseFd() { fd_.Reset(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Starts a new connection on this object: a fresh one, or a closed one being reused.
  void Open(ConnectionId id, int fd, MonoTime now) {
    id_ = id;
    fd_.Reset(fd);
    last_activity_ = now;
    paused = close_after_flush = drain_input = input_ended = end_told = registered = false;
    watched_events = 0;
    ReleaseBuffers();
    output_offset_ = 0;
  }
  // A closed connection kept for reuse keeps buffers no larger than kMaxSpareBufferBytes: a
  // spare that last sent a full scrape would otherwise pin it until reused.
  void ReleaseBuffers() {
    ClearForReuse(input_, kMaxSpareBufferBytes);
    ClearForReuse(output_, kMaxSpareBufferBytes);
  }

  ConnectionId id() const { return id_; }
  int fd() const { return fd_.get(); }
  std::string& input() { return input_; }
  bool has_output() const { return output_offset_ < output_.size(); }
  std::size_t unsent() const { return output_.size() - output_offset_; }
  MonoTime last_activity() const { return last_activity_; }
  void Touch(MonoTime now) { last_activity_ = now; }

  bool paused = false;
  bool close_after_flush = false;
  bool drain_input = false;  // linger after the last bytes (see SendLast)
  bool input_ended = false;  // the peer sent EOF
  bool end_told = false;     // and the handler was told (after all the input before it)
  bool registered = false;   // in the loop's epoll set (only once it needed an event)
  short watched_events = 0;

  // Sends `bytes` after what is queued: straight from `bytes` while nothing waits, so that what
  // the socket takes at once is never copied (a full scrape to a thousand clients would be a
  // thousand copies), and queues the rest; behind a queue, they join it and the queue is
  // written. False on a write error (the connection is dead).
  bool SendOrQueue(std::string_view bytes) {
    if (has_output()) {
      output_.append(bytes);
      return Write();
    }
    const std::optional<std::size_t> sent = SendNow(bytes);
    if (!sent) return false;
    output_.append(bytes.substr(*sent));
    return true;
  }

  // Writes what the socket takes of the queue. Returns false on a write error. A queue sent
  // whole lets go of a large buffer: a reader that was slow once does not pin it.
  bool Write() {
    if (!has_output()) return true;
    const std::optional<std::size_t> sent =
        SendNow(std::string_view(output_).substr(output_offset_));
    if (!sent) return false;
    output_offset_ += *sent;
    if (!has_output()) {
      ClearForReuse(output_);
      output_offset_ = 0;
    } else if (output_offset_ > output_.size() / 2) {
      output_.erase(0, output_offset_);
      output_offset_ = 0;
    }
    return true;
  }

 private:
  // What the socket took of `bytes` now, nullopt on a write error. Last bytes go with MSG_MORE:
  // the kernel holds the final partial segment until the close (or shutdown) that follows puts
  // the FIN on it, so a reply and its FIN cost one packet, not two.
  std::optional<std::size_t> SendNow(std::string_view bytes) const {
    const int flags = MSG_NOSIGNAL | (close_after_flush ? MSG_MORE : 0);
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, flags);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return std::nullopt;
    }
    return sent;
  }

  ConnectionId id_ = 0;
  UniqueFd fd_;
  MonoTime last_activity_{};
  std::string input_;
  std::string output_;
  std::size_t output_offset_ = 0;
};

TcpServer::TcpServer(EventLoop& loop, TcpServerOptions options, TcpHandler& handler)
    : loop_(loop), options_(std::move(options)), handler_(handler) {}

TcpServer::~TcpServer() {
  for (auto* timer : {&deferred_timer_, &accept_retry_timer_, &linger_timer_}) {
    if (*timer) loop_.Cancel(**timer);
  }
  for (auto& [id, connection] : connections_) {
    if (connection->registered) loop_.UnwatchFd(connection->fd());
  }
  for (auto& [fd, deadline] : lingering_) {
    loop_.UnwatchFd(fd);
    ::close(fd);
  }
  if (listen_fd_.valid()) loop_.UnwatchFd(listen_fd_.get());
}

Status TcpServer::Listen() {
  auto listener = OpenListenSocket(options_.bind_address, options_.port, options_.listen_backlog,
                                   options_.reuse_port, options_.defer_accept_seconds);
  if (!listener) return Error{listener.error()};
  listen_fd_ = std::move(listener->fd);
  port_ = listener->port;
  loop_.WatchFd(listen_fd_.get(), EventLoop::kReadable, [this](short) { AcceptAll(); });
  idle_sweep_.emplace(loop_, SweepPeriodFor(options_.idle_timeout), [this] { SweepIdle(); });
  return OkStatus();
}

void TcpServer::AcceptAll() {
  for (int i = 0; i < kMaxAcceptsPerTurn && listen_fd_.valid(); ++i) {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    const int fd = ::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        ++accept_failures_;
        if (accept_failure_log_.Due(loop_.clock().Now())) {
          spdlog::error(
              "accept: {}; pausing new connections for {} ms each time (failures so far: {}; "
              "raise the open-file limit with ulimit -n or LimitNOFILE{})",
              std::strerror(errno), kAcceptRetryDelay.count(), accept_failures_,
              LimitAdvice(", or lower "));
        }
        PauseAccepting();
      } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::warn("accept: {}", std::strerror(errno));
      }
      return;
    }
    auto endpoint = EndpointFrom(addr);
    // Lingering descriptors count too: refused connections must not pile up outside the limit.
    if (!endpoint || connections_.size() + lingering_.size() >= options_.max_connections) {
      RefuseOverLimit(fd);
      ++closed_over_limit_;
      if (over_limit_log_.Due(loop_.clock().Now())) {
        spdlog::warn(
            "closed a new connection on port {}: {} connections are open, the most allowed "
            "(closed so far: {}; {})",
            port(), options_.max_connections, closed_over_limit_,
            options_.max_connections_setting.empty()
                ? "a fixed limit: look for what holds them open"
                : LimitAdvice("raise ") + " or add processes");
      }
      continue;
    }
    Open(fd, endpoint->address, endpoint->port);
  }
}

// Accepted so that the client is not left hanging, and closed at once: a flood must not hold
// descriptors. What arrived with the connection (its request, under TCP_DEFER_ACCEPT) is read
// first, so the close sends the refusal and a FIN, not a reset that could destroy it.
void TcpServer::RefuseOverLimit(int fd) {
  const std::string& reply = options_.over_limit_reply;
  if (!reply.empty()) {
    char discard[kReadChunk];
    for (int reads = 0; reads < kMaxReadsPerTurn; ++reads) {
      if (::recv(fd, discard, sizeof discard, 0) <= 0) break;
    }
    [[maybe_unused]] const ssize_t sent = ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
  }
  ::close(fd);
}

// `verb` and the setting of max_connections ("raise --max-connections"); empty for a fixed limit.
std::string TcpServer::LimitAdvice(std::string_view verb) const {
  if (options_.max_connections_setting.empty()) return {};
  return std::string(verb) + options_.max_connections_setting;
}

void TcpServer::PauseAccepting() {
  loop_.UnwatchFd(listen_fd_.get());
  accept_retry_timer_ = loop_.RunAfter(kAcceptRetryDelay, [this] {
    accept_retry_timer_.reset();
    if (listen_fd_.valid()) {
      loop_.WatchFd(listen_fd_.get(), EventLoop::kReadable, [this](short) { AcceptAll(); });
    }
  });
}

// The request usually arrived with the connection, so it is read at once, before OnOpen: a
// handler that refuses the connection there closes a socket with nothing unread, which sends
// its last bytes and a FIN rather than a reset. The descriptor joins the epoll set only when it
// has to wait for something (more input, or room to write), so a request answered with
// Connection: close costs no epoll_ctl at all.
void TcpServer::Open(int fd, const IpAddress& remote, std::uint16_t remote_port) {
  const ConnectionId id = next_id_++;
  Connection& connection =
      *spare_.Insert(connections_, id, [] { return std::make_unique<Connection>(); })->second;
  connection.Open(id, fd, loop_.clock().Now());
  const Received received = Receive(connection);
  handler_.OnOpen(id, remote, remote_port);
  if (!connections_.contains(id)) return;  // the handler closed it
  Deliver(connection, received);
  if (auto it = connections_.find(id); it != connections_.end()) UpdateEvents(*it->second);
}

void TcpServer::OnReady(Connection& connection, short ready) {
  const ConnectionId id = connection.id();
  if (ready & EventLoop::kWritable) {
    if (!Flush(connection)) return;
  }
  if (ready & EventLoop::kReadable) {
    ReadInput(connection);
  } else if (ready & EventLoop::kError) {
    Close(id);
  }
}

void TcpServer::ReadInput(Connection& connection) { Deliver(connection, Receive(connection)); }

TcpServer::Received TcpServer::Receive(Connection& connection) {
  std::string& input = connection.input();
  // Received into a stack buffer and appended: growing `input` by a whole chunk first would
  // zero-fill 16 KB on every read of a 300-byte announce.
  char chunk[kReadChunk];
  Received received = Received::kMore;
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    const ssize_t n = ::recv(connection.fd(), chunk, kReadChunk, 0);
    if (n > 0) {
      input.append(chunk, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < kReadChunk) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    received = n < 0 ? Received::kReset : Received::kEnded;
    break;
  }
  connection.Touch(loop_.clock().Now());
  return received;
}

void TcpServer::Deliver(Connection& connection, Received received) {
  const ConnectionId id = connection.id();
  if (received == Received::kReset) {
    Close(id);  // the peer is gone, nothing more can be answered
    return;
  }
  std::string& input = connection.input();
  if (!input.empty() && !connection.paused) handler_.OnData(id, input);
  if (received == Received::kMore) return;
  auto it = connections_.find(id);
  if (it == connections_.end()) return;  // the handler closed it
  it->second->input_ended = true;
  UpdateEvents(*it->second);
  EndInputOnceDelivered(*it->second);
}

void TcpServer::EndInputOnceDelivered(Connection& connection) {
  // Input the handler paused before taking comes first: it is told of the end after that.
  if (!connection.input_ended || connection.end_told ||
      (connection.paused && !connection.input().empty())) {
    return;
  }
  connection.end_told = true;
  const ConnectionId id = connection.id();
  if (handler_.KeepOpenAfterInputEnd(id)) return;
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (!it->second->has_output()) return Close(id);
  // Answers already queued still go out whole (a large one may take many writes), then it closes.
  it->second->close_after_flush = true;
  UpdateEvents(*it->second);
}

bool TcpServer::Send(ConnectionId id, std::string_view bytes) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  return QueueAndFlush(*it->second, bytes);
}

void TcpServer::SendLast(ConnectionId id, std::string_view bytes, bool drain_input) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second->close_after_flush = true;
  it->second->drain_input = drain_input;
  QueueAndFlush(*it->second, bytes);
}

bool TcpServer::QueueAndFlush(Connection& connection, std::string_view bytes) {
  const ConnectionId id = connection.id();
  if (!connection.SendOrQueue(bytes)) {
    Close(id);
    return false;
  }
  if (!AfterWrite(connection)) return false;
  // The limit is on what the reader leaves unsent, not on the size of one reply: check it after
  // the socket took what it could.
  if (connection.unsent() > options_.max_output_bytes) {
    ++closed_slow_readers_;
    if (slow_reader_log_.Due(loop_.clock().Now())) {
      spdlog::warn(
          "closed a connection on port {}: its client left {} bytes of replies unread, more "
          "than {} (closed so far: {}; at most one such line a minute): a stalled reader, or "
          "replies larger than the limit (a frontend's --max-output-bytes)",
          port(), connection.unsent(), options_.max_output_bytes, closed_slow_readers_);
    }
    Close(id);
    return false;
  }
  return true;
}

bool TcpServer::Flush(Connection& connection) {
  if (!connection.Write()) {
    Close(connection.id());
    return false;
  }
  return AfterWrite(connection);
}

bool TcpServer::AfterWrite(Connection& connection) {
  const ConnectionId id = connection.id();
  connection.Touch(loop_.clock().Now());
  if (!connection.has_output() && connection.close_after_flush) {
    if (connection.drain_input) {
      Linger(connections_.find(id));
    } else {
      Close(id);
    }
    return false;
  }
  UpdateEvents(connection);
  return true;
}

void TcpServer::UpdateEvents(Connection& connection) {
  short events = 0;
  if (!connection.paused && !connection.close_after_flush && !connection.input_ended) {
    events |= EventLoop::kReadable;
  }
  if (connection.has_output()) events |= EventLoop::kWritable;
  if (events == connection.watched_events && connection.registered) return;
  connection.watched_events = events;
  if (connection.registered) {
    loop_.SetFdEvents(connection.fd(), events);
  } else if (events != 0) {
    connection.registered = true;
    const ConnectionId id = connection.id();
    loop_.WatchFd(connection.fd(), events, [this, id](short ready) {
      if (auto it = connections_.find(id); it != connections_.end()) OnReady(*it->second, ready);
    });
  }
}

void TcpServer::Close(ConnectionId id) {
  if (auto it = connections_.find(id); it != connections_.end()) CloseConnection(it);
}

// The descriptor closes now (a new connection may reuse its number at once: ids never repeat);
// the Connection object waits in closed_ until no stack frame can still be using it.
void TcpServer::CloseConnection(ConnectionMap::iterator it) {
  Connection& connection = *it->second;
  if (connection.fd() >= 0 && connection.registered) loop_.UnwatchClosingFd(connection.fd());
  connection.CloseFd();
  pending_close_.push_back(it->first);
  closed_.push_back(connections_.extract(it));
  ScheduleDeferred();
}

void TcpServer::Linger(ConnectionMap::iterator it) {
  Connection& connection = *it->second;
  // Draining sockets take places of max_connections but not of a client's own limit, so a
  // client sending refused requests as fast as it could would fill them and shut others out:
  // at most a quarter of the places drain, and beyond that a refused connection closes at once
  // (a reset may then cut its last bytes short).
  const std::size_t most_lingering = std::max<std::size_t>(1, options_.max_connections / 4);
  if (connection.input_ended || lingering_.size() >= most_lingering) return CloseConnection(it);
  const int fd = connection.fd();
  ::shutdown(fd, SHUT_WR);
  if (connection.registered) loop_.UnwatchFd(fd);
  const MonoTime deadline = loop_.clock().Now() + kLingerTimeout;
  lingering_[connection.ReleaseFd()] = deadline;
  linger_order_.emplace_back(fd, deadline);
  loop_.WatchFd(fd, EventLoop::kReadable, [this, fd](short) { DrainLingering(fd); });
  CloseConnection(it);
  ScheduleLingerSweep();
}

bool TcpServer::StillLingering(const std::pair<int, MonoTime>& entry) const {
  const auto lingering = lingering_.find(entry.first);
  return lingering != lingering_.end() && lingering->second == entry.second;
}

void TcpServer::ScheduleLingerSweep() {
  while (!linger_order_.empty() && !StillLingering(linger_order_.front())) {
    linger_order_.pop_front();  // closed before its time (the client ended its input)
  }
  if (linger_timer_ || linger_order_.empty()) return;
  linger_timer_ = loop_.RunAt(linger_order_.front().second, [this] {
    linger_timer_.reset();
    CloseExpiredLingering();
    ScheduleLingerSweep();
  });
}

void TcpServer::CloseExpiredLingering() {
  const MonoTime now = loop_.clock().Now();
  while (!linger_order_.empty() && linger_order_.front().second <= now) {
    const auto entry = linger_order_.front();
    linger_order_.pop_front();
    if (StillLingering(entry)) CloseLingering(entry.first);
  }
}

// Bounded like reading: a client that keeps sending must not hold the loop, nor drain past its
// linger time.
void TcpServer::DrainLingering(int fd) {
  const auto lingering = lingering_.find(fd);
  if (lingering != lingering_.end() && loop_.clock().Now() >= lingering->second) {
    return CloseLingering(fd);
  }
  char discard[kReadChunk];
  for (int reads = 0; reads < kMaxReadsPerTurn; ++reads) {
    const ssize_t n = ::recv(fd, discard, sizeof discard, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return CloseLingering(fd);  // EOF or an error: the peer is done
  }
}

void TcpServer::CloseLingering(int fd) {
  loop_.UnwatchClosingFd(fd);
  ::close(fd);
  lingering_.erase(fd);
}

void TcpServer::PauseReading(ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second->paused = true;
  UpdateEvents(*it->second);
}

void TcpServer::ResumeReading(ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second->paused) return;
  it->second->paused = false;
  UpdateEvents(*it->second);
  if (!it->second->input().empty()) {
    pending_resume_.push_back(id);
    ScheduleDeferred();
  }
}

void TcpServer::ScheduleDeferred() {
  if (deferred_timer_) return;
  deferred_timer_ = loop_.RunAfter(Duration::zero(), [this] { RunDeferred(); });
}

// Handler calls that must not nest: OnClose of closed connections, OnData after a resume.
void TcpServer::RunDeferred() {
  deferred_timer_.reset();
  // The swaps hand this run's work to members that keep their capacity between runs; work the
  // handler adds meanwhile waits for the next run.
  running_closed_.swap(closed_);
  running_resume_.swap(pending_resume_);
  for (ConnectionId id : running_resume_) {
    auto it = connections_.find(id);
    if (it == connections_.end() || it->second->paused) continue;
    if (!it->second->input().empty()) handler_.OnData(id, it->second->input());
    if (it = connections_.find(id); it != connections_.end()) EndInputOnceDelivered(*it->second);
  }
  running_resume_.clear();
  running_close_.swap(pending_close_);
  for (ConnectionId id : running_close_) handler_.OnClose(id);
  running_close_.clear();
  for (auto& node : running_closed_) {
    node.mapped()->ReleaseBuffers();
    spare_.Keep(std::move(node));
  }
  running_closed_.clear();
}

void TcpServer::SweepIdle() {
  const MonoTime now = loop_.clock().Now();
  scratch_.clear();
  for (const auto& [id, connection] : connections_) {
    if (now - connection->last_activity() >= options_.idle_timeout) scratch_.push_back(id);
  }
  for (ConnectionId id : scratch_) Close(id);
  if (!scratch_.empty()) spdlog::debug("closed {} idle connections", scratch_.size());
}

void TcpServer::StopAccepting() {
  if (!listen_fd_.valid()) return;
  loop_.UnwatchFd(listen_fd_.get());
  listen_fd_.Reset();
}

std::size_t TcpServer::connection_count() const { return connections_.size(); }

std::size_t TcpServer::unsent_bytes() const {
  std::size_t unsent = 0;
  for (const auto& [id, connection] : connections_) unsent += connection->unsent();
  return unsent;
}

}  // namespace shardtrack

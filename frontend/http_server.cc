#include "frontend/http_server.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace shardtrack {

namespace {

// A connection over --max-connections is told the server is busy, not reset.
TcpServerOptions WithBusyReply(TcpServerOptions tcp) {
  HttpResponseHead head;
  head.status = 503;
  head.keep_alive = false;
  AppendHttpResponse(head, "too many connections open: try again later\n", tcp.over_limit_reply);
  return tcp;
}

}  // namespace

HttpServer::HttpServer(EventLoop& loop, HttpServerOptions options, RequestHandler& handler)
    : loop_(loop),
      tcp_(loop, WithBusyReply(options.tcp), *this),
      options_(options),
      handler_(handler),
      client_connections_(options.max_connections_per_client) {
  if (options_.request_timeout > Duration::zero()) {
    request_sweep_.emplace(loop_, SweepPeriodFor(options_.request_timeout),
                           [this] { TimeOutSlowRequests(); });
  }
}

void HttpServer::OnOpen(ConnectionId id, const IpAddress& remote, std::uint16_t) {
  auto origin = ResolveConnectionOrigin(options_.client_address, remote, {});
  if (origin.state == ConnectionOrigin::State::kRefused) {  // certain before any byte
    CountRefusal(origin.reason);
    tcp_.Close(id);
    return;
  }
  auto it = spare_connections_.Insert(
      connections_, id, [this] { return std::make_unique<Connection>(options_.limits); });
  it->second->Open(remote);
  AdmitClient(id, *it->second);
}

void HttpServer::Connection::Open(const IpAddress& peer) {
  remote = peer;
  parser.Reset();
  pipeline.clear();
  held_bytes = 0;
  next_sequence = 0;
  closing = paused = origin_known = counted = request_begun = false;
  may_be_sending = closed_by_server = false;
}

// A direct connection is counted at accept (a silent one holds a slot too); one from a trusted
// proxy once its PROXY header named the client.
bool HttpServer::AdmitClient(ConnectionId id, Connection& connection) {
  if (connection.counted || options_.client_address.IsTrusted(connection.remote)) return true;
  if (client_connections_.TryAdd(connection.remote)) {
    connection.counted = true;
    return true;
  }
  ++over_client_limit_;
  if (client_limit_log_.Due(loop_.clock().Now())) {
    spdlog::warn(
        "refused a connection from {}: it already holds {} (--max-connections-per-client); {} "
        "refused so far; at most one such line a minute",
        connection.remote.ToString(), client_connections_.limit(), over_client_limit_);
  }
  // Its input so far was read at accept, so the 429 leaves with a FIN. No draining after it:
  // a flood of refused connections must not hold descriptors (and places) for seconds each.
  Reject(id, connection, 429, "too many connections from your address", /*drain_input=*/false);
  return false;
}

void HttpServer::OnClose(ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (it->second->counted) client_connections_.Remove(it->second->remote);
  in_flight_ -= it->second->pipeline.size();
  it->second->pipeline.clear();  // answers it held are let go now, not when the place is reused
  spare_connections_.Keep(connections_.extract(it));
}

void HttpServer::OnData(ConnectionId id, std::string& input) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->closing) {
    if (it != connections_.end() && !input.empty()) it->second->may_be_sending = true;
    input.clear();
    return;
  }
  Connection& connection = *it->second;
  if (connection.origin_known || ResolveOrigin(id, connection, input)) {
    ParseRequests(id, connection, input);
  }
  // `connection` is still in connections_ even if the handler closed it: OnClose comes later.
  NoteUnfinishedRequest(connection, input);
}

// Starts the clock of `request_timeout` when bytes of a request arrive, and keeps it running
// (however slowly more arrive) until the request is complete.
void HttpServer::NoteUnfinishedRequest(Connection& connection, const std::string& input) {
  const bool unfinished = !connection.closing &&
                          (connection.origin_known ? connection.parser.midway() : !input.empty());
  if (unfinished && !connection.request_begun) connection.request_begun_at = loop_.clock().Now();
  connection.request_begun = unfinished;
}

bool HttpServer::ResolveOrigin(ConnectionId id, Connection& connection, std::string& input) {
  auto origin = ResolveConnectionOrigin(options_.client_address, connection.remote, input);
  switch (origin.state) {
    case ConnectionOrigin::State::kIncomplete:
      return false;  // bounded: a PROXY header longer than its maximum is an error
    case ConnectionOrigin::State::kRefused:
      CountRefusal(origin.reason);
      input.clear();
      Reject(id, connection, 400, "PROXY header refused");
      return false;
    case ConnectionOrigin::State::kResolved:
      break;
  }
  input.erase(0, origin.consumed);
  connection.remote = origin.client;
  connection.origin_known = true;
  if (AdmitClient(id, connection)) return true;
  input.clear();
  return false;
}

void HttpServer::CountRefusal(const std::string& reason) {
  ++refused_connections_;
  if (!refusal_log_.Due(loop_.clock().Now())) return;
  spdlog::warn("refused connection: {} ({} refused so far; at most one such line a minute)", reason,
               refused_connections_);
}

void HttpServer::ParseRequests(ConnectionId id, Connection& connection, std::string& input) {
  std::size_t parsed = 0;  // consumed from the front of `input`, erased once at the end
  const auto stop = [&] {
    input.erase(0, parsed);
    connection.may_be_sending = !input.empty();
  };
  while (parsed < input.size() && MayTakeMore(connection)) {
    auto [state, consumed] = connection.parser.Feed(std::string_view(input).substr(parsed));
    parsed += consumed;
    if (state == HttpRequestParser::State::kIncomplete) return stop();
    if (state == HttpRequestParser::State::kError) {
      input.clear();
      ++malformed_requests_;
      const HttpError& error = connection.parser.error();
      Reject(id, connection, error.status, error.reason, /*drain_input=*/true,
             handler_.AllowedMethods(connection.parser.request().path()));
      return;
    }
    const HttpRequest& request = connection.parser.request();
    std::uint64_t sequence = connection.next_sequence++;
    connection.request_begun = false;  // complete: the next request's clock starts afresh
    connection.pipeline.push_back(Pending{
        sequence, request.method == HttpMethod::kHead, request.keep_alive, false, {}, false});
    ++in_flight_;
    if (!request.keep_alive) ReadNoMore(id, connection);  // the last request
    // An answer given at once may be the last: it drains the input read beyond this request.
    connection.may_be_sending = parsed < input.size();
    if (options_.client_address.trust_x_forwarded_for) {
      handler_.OnRequest({id, sequence}, request,
                         ClientFromForwardedFor(options_.client_address, connection.remote,
                                                request.forwarded_for));
    } else {
      handler_.OnRequest({id, sequence}, request, connection.remote);
    }
    // The handler may have answered, and the answer may have closed the connection.
    if (!connections_.contains(id)) return;
    connection.parser.Reset();
    if (connection.closing) return stop();
  }
  stop();
  if (!input.empty() && !connection.paused) {
    connection.paused = true;
    tcp_.PauseReading(id);
  }
}

void HttpServer::ReadNoMore(ConnectionId id, Connection& connection) {
  connection.closing = true;
  connection.pipeline.back().keep_alive = false;
  if (!connection.paused) {
    connection.paused = true;
    tcp_.PauseReading(id);
  }
}

void HttpServer::Reject(ConnectionId id, Connection& connection, int status,
                        std::string_view reason, bool drain_input, std::string_view allow) {
  connection.closing = true;
  // A HEAD refused for its request line or headers is still a HEAD: no body (RFC 9110 section
  // 9.3.2). A request line too garbled to name HEAD is taken for a GET.
  bool head_request = connection.parser.request().method == HttpMethod::kHead;
  Pending rejection{connection.next_sequence++, head_request, false, true, {}, drain_input};
  AppendHttpRefusal(status, reason, head_request, rejection.bytes, allow);
  connection.held_bytes += rejection.bytes.size();
  connection.pipeline.push_back(std::move(rejection));
  ++in_flight_;
  WriteReady(id, connection);
}

void HttpServer::Respond(ResponseSlot slot, const HttpResponse& response) {
  auto it = connections_.find(slot.connection);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  for (Pending& pending : connection.pipeline) {
    if (pending.sequence != slot.sequence) continue;
    if (pending.ready) return;  // answered twice: keep the first
    // Held until the answers before it are: at most one past the limit (MayTakeMore).
    if (&pending != &connection.pipeline.front() && !HoldsLess(connection)) {
      return DropHoldingTooMuch(slot.connection, connection);
    }
    // Requests read before this answer asked to close were handed on: they are still answered.
    // Its client meant to keep the connection, and may be sending the next ones already.
    if (response.close) {
      connection.closed_by_server = connection.closed_by_server || pending.keep_alive;
      ReadNoMore(slot.connection, connection);
    }
    HttpResponseHead head;
    head.status = response.status;
    head.content_type = response.content_type;
    head.keep_alive = pending.keep_alive;
    head.head_request = pending.head_request;
    head.extra_headers = response.extra_headers;
    pending.bytes.swap(spare_bytes_);  // a buffer with capacity from an earlier response
    AppendHttpResponse(head, response.body, pending.bytes);
    pending.ready = true;
    connection.held_bytes += pending.bytes.size();
    WriteReady(slot.connection, connection);
    return;
  }
}

bool HttpServer::KeepOpenAfterInputEnd(ConnectionId id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || it->second->pipeline.empty()) return false;
  ReadNoMore(id, *it->second);
  return true;
}

void HttpServer::TimeOutSlowRequests() {
  const MonoTime now = loop_.clock().Now();
  std::vector<ConnectionId> late;
  for (const auto& [id, connection] : connections_) {
    if (connection->request_begun && !connection->closing &&
        now - connection->request_begun_at >= options_.request_timeout) {
      late.push_back(id);
    }
  }
  for (ConnectionId id : late) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    it->second->request_begun = false;
    ++malformed_requests_;
    Reject(id, *it->second, 408, "request not complete in time");
  }
}

void HttpServer::WriteReady(ConnectionId id, Connection& connection) {
  while (!connection.pipeline.empty() && connection.pipeline.front().ready) {
    Pending& front = connection.pipeline.front();
    const bool keep_alive = front.keep_alive;
    // Input left unread makes the kernel answer our close with a reset, which may destroy the
    // last answer before the client reads it.
    const bool drain_input =
        front.drain_input || connection.may_be_sending || connection.closed_by_server;
    connection.held_bytes -= front.bytes.size();
    if (keep_alive) {
      tcp_.Send(id, front.bytes);
    } else {
      tcp_.SendLast(id, front.bytes, drain_input);
    }
    ClearForReuse(front.bytes);
    spare_bytes_.swap(front.bytes);  // kept for the next response instead of freed
    connection.pipeline.pop_front();
    --in_flight_;
    if (!keep_alive) {
      in_flight_ -= connection.pipeline.size();
      connection.pipeline.clear();
      connection.held_bytes = 0;
      connection.closing = true;
      return;
    }
  }
  if (connection.paused && !connection.closing && MayTakeMore(connection)) {
    connection.paused = false;
    tcp_.ResumeReading(id);
  }
}

void HttpServer::DropHoldingTooMuch(ConnectionId id, Connection& connection) {
  ++closed_holding_too_much_;
  if (holding_log_.Due(loop_.clock().Now())) {
    spdlog::warn(
        "closed a connection from {}: the answers it pipelined behind an unanswered request "
        "held {} bytes, --max-output-bytes {}, and another came (closed so far: {}; at most one "
        "such line a minute)",
        connection.remote.ToString(), connection.held_bytes, options_.tcp.max_output_bytes,
        closed_holding_too_much_);
  }
  in_flight_ -= connection.pipeline.size();
  connection.pipeline.clear();  // later answers find no place, and are dropped uncopied
  connection.held_bytes = 0;
  connection.closing = true;
  tcp_.Close(id);
}

bool HttpServer::MayTakeMore(const Connection& connection) const {
  return connection.pipeline.size() < options_.max_pipelined && HoldsLess(connection);
}

bool HttpServer::HoldsLess(const Connection& connection) const {
  return connection.held_bytes < options_.tcp.max_output_bytes;
}

}  // namespace shardtrack

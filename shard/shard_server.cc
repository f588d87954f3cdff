#include "shard/shard_server.h"

#include <spdlog/spdlog.h>

#include <cerrno>

#include "common/node_pool.h"
#include "common/zmq_endpoint.h"

namespace shardtrack {

namespace {
constexpr int kMaxBatchesPerTurn = 256;  // then expiry and timers get their turn
constexpr int kMaxDrainTurns = 16;       // of those, at Close
// A reply buffer kept for the next turn: room for a large batch of announces, not for a full
// scrape's, which would otherwise pin its megabytes.
constexpr std::size_t kMaxKeptReplyBytes = 256 * 1024;
constexpr int kClosingLingerMs = 1000;  // see Close

// The user id the ZapHandler gave the connection `message` came on (its key in hex); empty
// without one.
std::string_view UserIdOf(const zmq::message_t& message) {
  const char* user = zmq_msg_gets(message.handle(), "User-Id");
  return user == nullptr ? std::string_view() : std::string_view(user);
}
}  // namespace

ShardServer::ShardServer(EventLoop& loop, zmq::context_t& context, const ShardSettings& settings,
                         SwarmStore& store, ShardService& service)
    : loop_(loop),
      settings_(settings),
      store_(store),
      service_(service),
      socket_(context, zmq::socket_type::router),
      commit_(loop, [this](std::string_view identity, std::string_view payload) {
        Send(identity, payload);
      }) {
  socket_.set(zmq::sockopt::linger, 0);            // until Close
  socket_.set(zmq::sockopt::router_mandatory, 0);  // a frontend gone away: drop its reply
  socket_.set(zmq::sockopt::sndhwm, 10000);
  socket_.set(zmq::sockopt::rcvhwm, 10000);
  socket_.set(zmq::sockopt::handshake_ivl, static_cast<int>(settings_.handshake_timeout) * 1000);
  socket_.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(settings_.max_message_bytes));
  // Only where needed: IPv4 listeners keep their IPv4 last_endpoint.
  if (NeedsZmqIpv6(settings_.listen)) socket_.set(zmq::sockopt::ipv6, 1);
}

ShardServer::~ShardServer() { Close(); }

void ShardServer::UseCurve(const CurveKey& secret_key, const FrontendKeys& keys) {
  frontend_keys_ = &keys;
  socket_.set(zmq::sockopt::curve_server, true);
  socket_.set(zmq::sockopt::curve_secretkey, secret_key.view());
  socket_.set(zmq::sockopt::zap_domain, "shardtrack");
}

Result<std::string> ShardServer::Bind() {
  try {
    socket_.bind(settings_.listen);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& error) {
    return Error{
        "cannot listen on " + settings_.listen + ": " + error.what() +
        (error.num() == EADDRINUSE ? " (is another shard using it? pick another --listen)" : "")};
  }
}

void ShardServer::Start() {
  loop_.WatchSocket(socket_, [this] { OnReadable(); });
  watching_ = true;
  if (snapshots_) snapshots_->Start();
}

void ShardServer::Close() {
  // What frontends sent before the stop is answered, not left to time out: at most this many
  // turns' worth (a frontend that keeps sending does not hold the stop up). Not after a failed
  // journal write: what the files cannot keep must not reach the final snapshot either.
  int turns = 0;
  while (watching_ && !commit_.failed() && turns++ < kMaxDrainTurns && ReadBatches() > 0) continue;
  if (watching_) loop_.UnwatchSocket(socket_);
  watching_ = false;
  // The replies sent from here on are the last: they get a moment to leave before the socket
  // goes (a peer that is gone drops them at once, so a stop never waits long for one).
  socket_.set(zmq::sockopt::linger, kClosingLingerMs);
  if (snapshots_) snapshots_->Close();
  commit_.Close();
}

void ShardServer::OnReadable() { ReadBatches(); }

int ShardServer::ReadBatches() {
  int handled = 0;
  for (; handled < kMaxBatchesPerTurn; ++handled) {
    zmq::message_t identity;
    zmq::message_t payload;
    if (!socket_.recv(identity, zmq::recv_flags::dontwait)) break;
    if (!identity.more() || !socket_.recv(payload, zmq::recv_flags::dontwait)) {
      DropMalformed("no payload frame");
      continue;
    }
    while (payload.more()) {  // a well-behaved frontend sends one payload frame; drain extras
      zmq::message_t extra;
      if (!socket_.recv(extra, zmq::recv_flags::dontwait)) break;
      payload = std::move(extra);
    }
    if (!incoming_.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      DropMalformed("not a RequestBatch");
      continue;
    }
    if (incoming_.shard_count() == 0) {  // every frontend names its layout; empty bytes parse
      DropMalformed("a batch for no shard layout (empty?)");
      continue;
    }
    if (!SenderStillAdmitted(payload)) {
      DropRevoked(UserIdOf(payload));
      continue;
    }
    const std::string_view frontend(static_cast<const char*>(identity.data()), identity.size());
    if (late_.Late(frontend, incoming_.sent_ms(), incoming_.timeout_ms(), loop_.clock().Now())) {
      DropLate();
      continue;
    }
    const UnixSeconds now = loop_.clock().WallNow();
    service_.Handle(incoming_, now, reply_);
    commit_.Record(service_.applied(), service_.completions(), now);
    Queue(std::move(identity));
    ++batches_handled_;
  }
  if (handled > 0) EndTurn();
  return handled;
}

// Only frontends should reach this socket: something else is talking to it (a port scan, a
// process of another protocol, a frontend of an incompatible version). Loud, but not one line
// per message.
void ShardServer::DropMalformed(std::string_view what) {
  ++malformed_messages_;
  if (!malformed_log_.Due(loop_.clock().Now())) return;
  spdlog::warn(
      "dropped a message that is {} ({} so far; at most one such line a minute): is something "
      "other than a shardtrack frontend of this version connected to {}?",
      what, malformed_messages_, settings_.listen);
}

bool ShardServer::CountDropped(std::uint64_t& dropped, LogThrottle& log) {
  dropped += static_cast<std::uint64_t>(incoming_.requests_size());
  return log.Due(loop_.clock().Now());
}

// The shard stalled (a stop signal, swapping, a long pause) or its queue grew that long: what
// the frontend answered "retry later" must not be applied behind the clients' retries.
void ShardServer::DropLate() {
  if (!CountDropped(late_requests_, late_log_)) return;
  spdlog::warn(
      "dropped a batch of {} requests unapplied: it came after its frontend's --shard-timeout-ms "
      "({} ms), so the frontend had told its clients to retry ({} requests so far; at most one "
      "such line a minute). Was the shard stalled, or is it overloaded?",
      incoming_.requests_size(), incoming_.timeout_ms(), late_requests_);
}

bool ShardServer::SenderStillAdmitted(const zmq::message_t& payload) const {
  if (frontend_keys_ == nullptr) return true;
  const auto key = CurveKey::FromHex(UserIdOf(payload));  // the ZapHandler's user id
  return key && frontend_keys_->Admits(*key);
}

void ShardServer::DropRevoked(std::string_view key_hex) {
  if (!CountDropped(revoked_requests_, revoked_log_)) return;
  spdlog::warn(
      "dropped a batch of {} requests unapplied from the frontend with CURVE key {}: the key "
      "was taken off --frontend-keys-file after it connected ({} requests so far; at most one such "
      "line a minute). Stop that frontend, or put its key back if it was taken off by mistake",
      incoming_.requests_size(), key_hex, revoked_requests_);
}

void ShardServer::Queue(zmq::message_t identity) {
  if (commit_.holds_completions() && !service_.completions().empty()) {
    HoldCompletions(identity);
    if (reply_.replies_size() == 0) return;
  }
  if (outgoing_used_ == outgoing_.size()) outgoing_.emplace_back();
  Outgoing& out = outgoing_[outgoing_used_++];  // an earlier turn's, its payload's buffer too
  out.identity = std::move(identity);
  reply_.SerializeToString(&out.payload);
}

void ShardServer::HoldCompletions(const zmq::message_t& identity) {
  const auto& completions = service_.completions();
  held_reply_.Clear();
  for (const CountedCompletion& completion : completions) {
    held_reply_.add_replies()->Swap(reply_.mutable_replies(completion.request_index));
  }
  for (auto it = completions.rbegin(); it != completions.rend(); ++it) {
    reply_.mutable_replies()->DeleteSubrange(it->request_index, 1);
  }
  commit_.Hold(identity.to_string(), held_reply_.SerializeAsString());
}

void ShardServer::EndTurn() {
  if (!commit_.WriteTurn()) {  // the loop stopped: nothing the files cannot keep is answered
    outgoing_used_ = 0;
    return;
  }
  for (std::size_t i = 0; i < outgoing_used_; ++i) {
    Send(outgoing_[i].identity.to_string_view(), outgoing_[i].payload);
    ClearForReuse(outgoing_[i].payload, kMaxKeptReplyBytes);
  }
  outgoing_used_ = 0;
  commit_.StartSyncIfDue();
}

void ShardServer::Send(std::string_view identity, std::string_view payload) {
  socket_.send(zmq::buffer(identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
  socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
}

void ShardServer::SetBackgroundSnapshot(BackgroundSnapshot& snapshot) {
  snapshots_.emplace(loop_, settings_, store_, snapshot, commit_.SnapshotHooks());
}

}  // namespace shardtrack

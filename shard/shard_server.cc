#include "shard/shard_server.h"

#include <spdlog/spdlog.h>

namespace shardtrack {

namespace {
constexpr int kMaxBatchesPerTurn = 256;  // then expiry and timers get their turn
}

ShardServer::ShardServer(EventLoop& loop, zmq::context_t& context, const ShardSettings& settings,
                         SwarmStore& store, ShardService& service)
    : loop_(loop),
      settings_(settings),
      store_(store),
      service_(service),
      socket_(context, zmq::socket_type::router) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::router_mandatory, 0);  // a frontend gone away: drop its reply
  socket_.set(zmq::sockopt::sndhwm, 10000);
  socket_.set(zmq::sockopt::rcvhwm, 10000);
}

ShardServer::~ShardServer() { Close(); }

Result<std::string> ShardServer::Bind() {
  try {
    socket_.bind(settings_.listen);
    return socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& error) {
    return Error{"cannot listen on " + settings_.listen + ": " + error.what() +
                 " (is another shard using it? pick another --listen)"};
  }
}

void ShardServer::Start() {
  loop_.WatchSocket(socket_, [this] { OnReadable(); });
  watching_ = true;
  expiry_timer_ =
      loop_.RunAfter(std::chrono::seconds(settings_.expire_interval), [this] { RunExpirySlice(); });
  if (save_) {
    save_timer_ =
        loop_.RunAfter(std::chrono::seconds(settings_.save_dfile_interval), [this] { RunSave(); });
  }
}

void ShardServer::Close() {
  if (watching_) loop_.UnwatchSocket(socket_);
  watching_ = false;
  if (expiry_timer_ != 0) loop_.Cancel(expiry_timer_);
  expiry_timer_ = 0;
  if (save_timer_ != 0) loop_.Cancel(save_timer_);
  save_timer_ = 0;
}

void ShardServer::OnReadable() {
  for (int i = 0; i < kMaxBatchesPerTurn; ++i) {
    Outgoing out;
    zmq::message_t payload;
    if (!socket_.recv(out.identity, zmq::recv_flags::dontwait)) break;
    if (!out.identity.more() || !socket_.recv(payload, zmq::recv_flags::dontwait)) {
      spdlog::warn("dropped a malformed message from a frontend (no payload frame)");
      continue;
    }
    while (payload.more()) {  // a well-behaved frontend sends one payload frame; drain extras
      zmq::message_t extra;
      if (!socket_.recv(extra, zmq::recv_flags::dontwait)) break;
      payload = std::move(extra);
    }
    if (!incoming_.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      spdlog::warn("dropped a message from a frontend that is not a RequestBatch");
      continue;
    }
    reply_.Clear();
    const UnixSeconds now = loop_.clock().WallNow();
    service_.Handle(incoming_, now, reply_);
    if (record_) record_(incoming_, reply_, now);
    reply_.SerializeToString(&out.payload);
    outgoing_.push_back(std::move(out));
    ++batches_handled_;
  }
  if (!outgoing_.empty()) SendAll();
}

void ShardServer::SendAll() {
  if (commit_) {
    Status committed = commit_();
    if (!committed.ok()) {
      // The counts are in memory but not durable: answering would promise what a crash could
      // lose. Fail loudly; the supervisor restarts the shard from its files.
      spdlog::critical("journal commit failed: {}; stopping the shard", committed.error());
      outgoing_.clear();
      commit_failed_ = true;
      loop_.Stop();
      return;
    }
  }
  for (auto& out : outgoing_) {
    socket_.send(out.identity, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(zmq::buffer(out.payload), zmq::send_flags::dontwait);
  }
  outgoing_.clear();
}

void ShardServer::RunExpirySlice() {
  auto progress =
      store_.ExpireSlice(loop_.clock().WallNow(), settings_.peer_timeout, settings_.expire_slice);
  (void)progress;
  expiry_timer_ =
      loop_.RunAfter(std::chrono::seconds(settings_.expire_interval), [this] { RunExpirySlice(); });
}

void ShardServer::RunSave() {
  save_();
  save_timer_ =
      loop_.RunAfter(std::chrono::seconds(settings_.save_dfile_interval), [this] { RunSave(); });
}

}  // namespace shardtrack

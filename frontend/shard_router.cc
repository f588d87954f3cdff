#include "frontend/shard_router.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/batch_limits.h"
#include "common/log_throttle.h"
#include "common/routing.h"
#include "common/zmq_endpoint.h"
#include "proto/message_reuse.h"

namespace shardtrack {

namespace {
constexpr int kMaxMessagesPerTurn = 256;  // replies read per shard per turn, so no shard starves
constexpr int kSendHighWaterMark = 1000;  // batches queued for one shard before sends fail
constexpr int kReconnectMs = 100;
constexpr int kReconnectMaxMs = 1000;
constexpr auto kRetryInterval = std::chrono::milliseconds(5);  // backlog retries while connecting
constexpr auto kMisrouteLogInterval = std::chrono::seconds(10);
// ZeroMQ never retries a connection whose handshake the shard refused (a CURVE key it did not
// list yet): while a shard stays unreachable and silent, its connection is made again this
// often. (A shard that still replies is only slow: its connection and queue stay.)
constexpr auto kReconnectInterval = std::chrono::seconds(2);
// What a request adds to its batch's wire size at most (an announce with a 64-byte passkey is
// under 200 bytes), and each infohash of a scrape: the batch's estimate for kMaxBatchPartBytes.
constexpr std::size_t kRequestBytesBound = 256;
constexpr std::size_t kScrapeHashBytesBound = 24;

// A request's share of that estimate, once built (Add and AddScrape count it as they go).
std::size_t WireBound(const proto::Request& request) {
  return kRequestBytesBound +
         kScrapeHashBytesBound * static_cast<std::size_t>(request.scrape().info_hashes_size());
}

// What a client whose request failed is told: "shard 1 is unavailable, retry later".
std::string RetryLater(std::uint32_t shard, std::string_view state) {
  return "shard " + std::to_string(shard) + " " + std::string(state) + ", retry later";
}
}  // namespace

struct ShardRouter::Shard {
  Shard(zmq::context_t& context, std::uint32_t shard_index, std::string shard_endpoint)
      : socket(context, zmq::socket_type::dealer),
        index(shard_index),
        endpoint(std::move(shard_endpoint)) {}

  // A serialised batch that could not be sent yet, with the deadline of its first request.
  struct Unsent {
    std::string wire;
    MonoTime deadline;
    std::vector<std::uint64_t> ids;  // its requests', marked sent if it leaves
  };

  zmq::socket_t socket;
  std::uint32_t index;
  std::string endpoint;
  proto::RequestBatch batch;    // this turn's requests; cleared (not freed) after each flush
  std::size_t batch_bytes = 0;  // at least its wire size (see kRequestBytesBound)
  // A batch too large for one message, while it goes in parts; cleared (not freed) after.
  google::protobuf::RepeatedPtrField<proto::Request> whole_batch;
  std::string wire;  // reused serialisation buffer
  std::deque<Unsent> backlog;
  std::optional<MonoTime> unreachable_since;
  MonoTime connected_at{};  // the last connect; set again by Reconnect
  MonoTime replied_at{};    // the last message from the shard
  bool reported_down = false;
  bool silent = false;      // a request sent to it timed out with no word from it since
  LogThrottle failure_log;  // failed requests are logged a line a minute at most
  LogThrottle misroute_log{kMisrouteLogInterval};  // each shard's refusals, named apart
  ShardCounters counters;
};

ShardRouter::ShardRouter(EventLoop& loop, zmq::context_t& context,
                         const std::vector<std::string>& endpoints, Options options,
                         Listener& listener)
    : loop_(loop), options_(options), listener_(listener) {
  for (std::uint32_t i = 0; i < endpoints.size(); ++i) {
    auto shard = std::make_unique<Shard>(context, i, endpoints[i]);
    shard->socket.set(zmq::sockopt::linger, 0);
    shard->socket.set(zmq::sockopt::immediate, 1);  // no queueing towards a shard that is down
    shard->socket.set(zmq::sockopt::sndhwm, kSendHighWaterMark);
    shard->socket.set(zmq::sockopt::reconnect_ivl, kReconnectMs);
    shard->socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectMaxMs);
    if (NeedsZmqIpv6(endpoints[i])) shard->socket.set(zmq::sockopt::ipv6, 1);
    if (const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(options_.heartbeat);
        ms.count() > 0) {
      const int interval = static_cast<int>(ms.count());
      shard->socket.set(zmq::sockopt::heartbeat_ivl, interval);
      shard->socket.set(zmq::sockopt::heartbeat_timeout, 3 * interval);
      shard->socket.set(zmq::sockopt::heartbeat_ttl, 3 * interval);  // the shard's side too
    }
    if (options_.curve) {
      shard->socket.set(zmq::sockopt::curve_serverkey, options_.curve->shard_public_key.view());
      shard->socket.set(zmq::sockopt::curve_publickey, options_.curve->public_key.view());
      shard->socket.set(zmq::sockopt::curve_secretkey, options_.curve->secret_key.view());
    }
    try {
      shard->socket.connect(endpoints[i]);
      shard->connected_at = loop_.clock().Now();
    } catch (const zmq::error_t& error) {
      throw std::invalid_argument("shard " + std::to_string(i) + " at '" + endpoints[i] +
                                  "': " + error.what());
    }
    shard->batch.set_shard_index(i);
    shard->batch.set_shard_count(static_cast<std::uint32_t>(endpoints.size()));
    shard->batch.set_timeout_ms(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count()));
    shards_.push_back(std::move(shard));
  }
  // Only once every socket exists: a constructor that throws leaves the loop watching nothing.
  for (auto& shard : shards_) {
    Shard* raw = shard.get();
    loop_.WatchSocket(shard->socket, [this, raw] { OnReadable(*raw); });
  }
}

ShardRouter::~ShardRouter() {
  for (auto& shard : shards_) loop_.UnwatchSocket(shard->socket);
  if (deadline_timer_ != 0) loop_.Cancel(deadline_timer_);
  if (retry_timer_ != 0) loop_.Cancel(retry_timer_);
}

proto::Request* ShardRouter::Add(std::uint32_t shard_index, Token token) {
  Shard& shard = *shards_[shard_index];
  if (shard.counters.pending >= options_.max_pending_per_shard) {
    ++shard.counters.unavailable;
    LogFailures(shard, "has --max-pending-per-shard requests waiting; new ones fail at once");
    return nullptr;
  }
  const std::uint64_t id = first_pending_id_ + pending_.size();
  const MonoTime now = loop_.clock().Now();
  pending_.push_back({token, shard_index, now + options_.timeout, true, std::nullopt});
  ++shard.counters.pending;
  if (deadline_timer_ == 0) ArmDeadlineTimer();
  if (!flush_scheduled_) {
    flush_scheduled_ = true;
    loop_.RunAtEndOfTurn([this] { FlushAll(); });
  }
  if (shard.batch.requests_size() == 0) {  // its first request's time: the deadlines run from it
    shard.batch.set_sent_ms(static_cast<std::uint64_t>(MonoMillis(now)));
  }
  proto::Request* request = shard.batch.add_requests();
  request->set_id(id);
  shard.batch_bytes += kRequestBytesBound;
  return request;
}

bool ShardRouter::AddAnnounce(const InfoHash& info_hash, proto::AnnounceRequest& announce,
                              Token token) {
  proto::Request* request = Add(ShardFor(info_hash, shard_count()), token);
  if (request == nullptr) return false;
  request->mutable_announce()->Swap(&announce);
  return true;
}

ShardRouter::Fanout ShardRouter::AddScrape(std::span<const InfoHash> hashes, Token token) {
  Fanout fanout;
  std::vector<proto::ScrapeRequest*>& per_shard = scrape_targets_;
  std::vector<char>& refused = scrape_refused_;
  per_shard.assign(shard_count(), nullptr);
  refused.assign(shard_count(), false);
  for (const InfoHash& hash : hashes) {
    const std::uint32_t shard = ShardFor(hash, shard_count());
    if (refused[shard]) continue;
    if (per_shard[shard] == nullptr) {
      proto::Request* request = Add(shard, token);
      if (request == nullptr) {
        refused[shard] = fanout.refused = true;
        continue;
      }
      ++fanout.requests;
      per_shard[shard] = request->mutable_scrape();
    }
    per_shard[shard]->add_info_hashes()->assign(hash.view());  // a reused string: no allocation
    shards_[shard]->batch_bytes += kScrapeHashBytesBound;
  }
  return fanout;
}

ShardRouter::ShardCounters ShardRouter::counters(std::uint32_t shard) const {
  return shards_[shard]->counters;
}

bool ShardRouter::reachable(std::uint32_t shard) const {
  return !shards_[shard]->unreachable_since && !shards_[shard]->silent;
}

void ShardRouter::FlushAll() {
  flush_scheduled_ = false;
  for (auto& shard : shards_) {
    if (shard->batch.requests_size() > 0) Flush(*shard);
  }
}

void ShardRouter::Flush(Shard& shard) {
  if (shard.batch_bytes > kMaxBatchPartBytes) {
    FlushInParts(shard);
  } else {
    FlushPart(shard);
  }
  shard.batch_bytes = 0;
}

// A turn's batch too large for one message (common/batch_limits.h) goes in parts, in order.
void ShardRouter::FlushInParts(Shard& shard) {
  auto& whole = shard.whole_batch;
  whole.Swap(shard.batch.mutable_requests());
  std::size_t part_bytes = 0;
  for (int i = 0; i < whole.size(); ++i) {
    part_bytes += WireBound(whole.Get(i));  // not its exact size: serialising computes that
    shard.batch.add_requests()->Swap(whole.Mutable(i));
    if (part_bytes >= kMaxBatchPartBytes || i + 1 == whole.size()) {
      FlushPart(shard);
      part_bytes = 0;
    }
  }
  whole.Clear();
}

void ShardRouter::FlushPart(Shard& shard) {
  const auto requests = static_cast<std::uint32_t>(shard.batch.requests_size());
  if (shard.silent && shard.counters.pending > requests) {
    // A silent shard gets one batch at a time, to find out when it answers again.
    FailUnsent(shard, "answers nothing; its requests fail at once", "is not answering");
  } else {
    SendBatch(shard);
  }
  shard.batch.mutable_requests()->Clear();
}

// Sends this turn's batch, or keeps it for a connection still being made, or fails it when the
// shard has been unreachable for a whole timeout.
void ShardRouter::SendBatch(Shard& shard) {
  const MonoTime now = loop_.clock().Now();
  shard.batch.SerializeToString(&shard.wire);
  if (shard.backlog.empty() && TrySend(shard, shard.wire)) {
    shard.counters.sent += static_cast<std::uint64_t>(shard.batch.requests_size());
    for (const proto::Request& request : shard.batch.requests()) MarkSent(request.id(), now);
  } else if (now - *shard.unreachable_since >= options_.timeout) {
    FailUnsent(shard,
               ReportDownOnce(shard, now) ? nullptr : "is unreachable; its requests fail at once",
               "is unavailable");
  } else {
    std::vector<std::uint64_t> ids;
    ids.reserve(static_cast<std::size_t>(shard.batch.requests_size()));
    for (const proto::Request& request : shard.batch.requests()) ids.push_back(request.id());
    // Its first request's deadline, which ran from that request's Add (earlier than now): sent
    // past it, the batch would carry a request whose client was told to retry already.
    const Pending* first = FindOpen(ids.front());
    const MonoTime deadline = first != nullptr ? first->deadline : now;
    shard.backlog.push_back({shard.wire, deadline, std::move(ids)});
    if (retry_timer_ == 0)
      retry_timer_ = loop_.RunAfter(kRetryInterval, [this] { RetryBacklogs(); });
  }
}

// Sends without blocking; tracks whether the shard is reachable and says so in the log once.
bool ShardRouter::TrySend(Shard& shard, const std::string& wire) {
  const bool sent = shard.socket.send(zmq::buffer(wire), zmq::send_flags::dontwait).has_value();
  if (sent && shard.unreachable_since) {
    if (shard.reported_down) {
      spdlog::info("shard {} at {} is accepting requests again", shard.index, shard.endpoint);
    }
    shard.unreachable_since.reset();
    shard.reported_down = false;
  } else if (!sent && !shard.unreachable_since) {
    shard.unreachable_since = loop_.clock().Now();
  } else if (!sent && shard.replied_at < *shard.unreachable_since &&
             loop_.clock().Now() - shard.connected_at >= kReconnectInterval) {
    Reconnect(shard);
  }
  return sent;
}

void ShardRouter::Reconnect(Shard& shard) {
  spdlog::debug("shard {} at {} still unreachable: connecting again", shard.index, shard.endpoint);
  shard.connected_at = loop_.clock().Now();
  try {
    shard.socket.disconnect(shard.endpoint);
    shard.socket.connect(shard.endpoint);
  } catch (const zmq::error_t& error) {  // the endpoint was good at start: log and go on
    spdlog::error("cannot connect to shard {} at {} again: {}", shard.index, shard.endpoint,
                  error.what());
  }
}

// Sends what waited; a batch whose deadline passed is dropped (its requests have timed out).
void ShardRouter::RetryBacklogs() {
  retry_timer_ = 0;
  const MonoTime now = loop_.clock().Now();
  bool waiting = false;
  for (auto& shard : shards_) {
    auto& backlog = shard->backlog;
    if (backlog.empty()) continue;
    ReportDownOnce(*shard, now);  // before the drop: a lone request's expiry is reported too
    while (!backlog.empty() && backlog.front().deadline <= now) backlog.pop_front();
    while (!backlog.empty() && TrySend(*shard, backlog.front().wire)) {
      shard->counters.sent += backlog.front().ids.size();
      for (const std::uint64_t id : backlog.front().ids) MarkSent(id, now);
      backlog.pop_front();
    }
    waiting = waiting || !backlog.empty();
  }
  if (waiting) retry_timer_ = loop_.RunAfter(kRetryInterval, [this] { RetryBacklogs(); });
}

// Once per outage, so that the line saying the shard is back has one to answer. Whether it
// logged now.
bool ShardRouter::ReportDownOnce(Shard& shard, MonoTime now) {
  if (shard.reported_down || !shard.unreachable_since ||
      now - *shard.unreachable_since < options_.timeout) {
    return false;
  }
  shard.reported_down = true;
  spdlog::warn("shard {} at {} is unreachable; its requests fail until it is back: {}", shard.index,
               shard.endpoint, WhatToCheck());
  return true;
}

void ShardRouter::FailBatch(const proto::RequestBatch& batch, const std::string& reason) {
  for (const auto& request : batch.requests()) Fail(request.id(), reason);
}

void ShardRouter::FailUnsent(Shard& shard, const char* log_what, std::string_view state) {
  shard.counters.unavailable += static_cast<std::uint64_t>(shard.batch.requests_size());
  if (log_what != nullptr) LogFailures(shard, log_what);
  FailBatch(shard.batch, RetryLater(shard.index, state));
}

void ShardRouter::OnReadable(Shard& shard) {
  zmq::message_t message;
  for (int i = 0; i < kMaxMessagesPerTurn; ++i) {
    auto received = shard.socket.recv(message, zmq::recv_flags::dontwait);
    if (!received) return;
    shard.replied_at = loop_.clock().Now();
    if (shard.silent) {
      spdlog::info("shard {} at {} answers again", shard.index, shard.endpoint);
      shard.silent = false;
    }
    if (!incoming_.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      spdlog::error("shard {} at {} sent a reply that is not a ReplyBatch; dropped", shard.index,
                    shard.endpoint);
      continue;
    }
    for (auto& reply : *incoming_.mutable_replies()) {
      if (reply.misrouted()) KeepMisrouteFromClient(shard, reply);
      Pending* pending = FindOpen(reply.id());
      if (pending == nullptr) continue;  // answered already (timed out)
      ++shard.counters.replied;
      Answer(*pending, reply);
    }
    LetGoIfHoldingMany(incoming_);  // parsing the next one clears it, keeping its entries
  }
}

// The shard's words are for the operator (they name the cluster's layout); the client is told
// to come back, as for a shard that is down, since the fix is the operator's.
void ShardRouter::KeepMisrouteFromClient(Shard& shard, proto::Reply& reply) {
  if (shard.misroute_log.Due(loop_.clock().Now())) {
    spdlog::error("shard {} at {} refused a request: {}", shard.index, shard.endpoint,
                  reply.failure());
  }
  reply.set_failure("tracker misconfigured, retry later");
  reply.set_retry_later(true);
}

void ShardRouter::MarkSent(std::uint64_t id, MonoTime now) {
  if (Pending* pending = FindOpen(id); pending != nullptr) pending->sent_at = now;
}

ShardRouter::Pending* ShardRouter::FindOpen(std::uint64_t id) {
  if (id < first_pending_id_ || id - first_pending_id_ >= pending_.size()) return nullptr;
  Pending& pending = pending_[id - first_pending_id_];
  return pending.open ? &pending : nullptr;
}

void ShardRouter::Answer(Pending& pending, const proto::Reply& reply) {
  const Token token = pending.token;
  pending.open = false;
  --shards_[pending.shard]->counters.pending;
  while (!pending_.empty() && !pending_.front().open) {
    pending_.pop_front();
    ++first_pending_id_;
  }
  listener_.OnShardReply(token, reply);
}

void ShardRouter::Fail(std::uint64_t id, const std::string& reason) {
  Pending* pending = FindOpen(id);
  if (pending == nullptr) return;
  failure_reply_.Clear();
  failure_reply_.set_id(id);
  failure_reply_.set_failure(reason);
  failure_reply_.set_retry_later(true);
  Answer(*pending, failure_reply_);
}

void ShardRouter::ArmDeadlineTimer() {
  if (pending_.empty()) {
    deadline_timer_ = 0;
    return;
  }
  deadline_timer_ = loop_.RunAt(pending_.front().deadline, [this] { ExpireDeadlines(); });
}

void ShardRouter::NoteSilence(Shard& shard, MonoTime sent_at, MonoTime now) {
  // One sent late (it waited for a connection) was out too briefly to tell.
  if (shard.silent || shard.replied_at >= sent_at || now - sent_at < options_.timeout / 2) return;
  shard.silent = true;
  spdlog::warn(
      "shard {} at {} answered nothing for --shard-timeout-ms ({} ms); its requests fail at once "
      "but for one batch at a time that finds out when it is back. Is it hung or stopped?",
      shard.index, shard.endpoint,
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count());
}

void ShardRouter::LogFailures(Shard& shard, const char* what) {
  if (!shard.failure_log.Due(loop_.clock().Now())) return;
  spdlog::warn("shard {} at {} {} (requests failed so far: {} timed out, {} unavailable); {}",
               shard.index, shard.endpoint, what, shard.counters.timeouts,
               shard.counters.unavailable, WhatToCheck());
}

std::string_view ShardRouter::WhatToCheck() const {
  return options_.curve
             ? "check that it runs and keeps up, and that both sides agree on CURVE (the shard's "
               "log says when it refuses a handshake; one whose log says nothing may run without "
               "--curve-secret-file)"
             : "check that it runs and keeps up; if its log says \"CURVE on\", give this "
               "frontend --curve-secret-file and --shard-public-key-file too";
}

// Answered entries never stay at the front, so the front is the oldest open request.
void ShardRouter::ExpireDeadlines() {
  const MonoTime now = loop_.clock().Now();
  while (!pending_.empty() && pending_.front().deadline <= now) {
    Shard& shard = *shards_[pending_.front().shard];
    const std::optional<MonoTime> sent_at = pending_.front().sent_at;  // else sends kept failing
    ++(sent_at ? shard.counters.timeouts : shard.counters.unavailable);
    if (sent_at) NoteSilence(shard, *sent_at, now);
    if (sent_at) {
      LogFailures(shard, "did not answer a request within --shard-timeout-ms");
    } else if (!shard.reported_down) {  // else said once for the outage (ReportDownOnce)
      LogFailures(shard, "is unreachable; a request could not be sent in time");
    }
    Fail(first_pending_id_,
         RetryLater(shard.index, sent_at ? "did not answer in time" : "is unavailable"));
  }
  ArmDeadlineTimer();
}

}  // namespace shardtrack

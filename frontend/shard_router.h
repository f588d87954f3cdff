// ShardRouter: the frontend's side of the hop to the shards.
//
// One DEALER socket per shard. Requests queued during a reactor turn go out as one RequestBatch
// per shard at the end of the turn (in parts past kMaxBatchPartBytes); each ReplyBatch is split
// back into replies matched by request id. Every request gets exactly one answer through the
// Listener: the shard's reply, or a failure when the shard is overloaded (too many pending), silent
// past the deadline, or unreachable. A send never blocks the loop: sockets are ZMQ_IMMEDIATE, so
// nothing queues towards a shard that is not connected. A batch that cannot go out yet (the
// connection is still being made at start-up or after a shard restart) is retried every few
// milliseconds until its requests' deadline; once a shard has been unreachable for a whole
// deadline, its requests fail at once. So do those of a shard that is connected but answered
// nothing for a whole deadline (hung), but for one batch at a time, which finds out when it is
// back: one hung shard must not hold the connections of the frontend's clients until none are left
// for the other shards. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/curve_keys.h"
#include "common/fixed_bytes.h"
#include "common/reactor/event_loop.h"
#include "proto/shardtrack.pb.h"

namespace shardtrack {

// What a client is told when Add() refused its request (too many pending for the shard).
inline constexpr std::string_view kShardBusyReason = "tracker busy, retry later";

class ShardRouter {
 public:
  // Identifies the caller's waiting request (e.g. a connection and its response slot).
  using Token = std::uint64_t;

  class Listener {
   public:
    virtual ~Listener() = default;
    // `reply.failure()` is non-empty when the request failed.
    virtual void OnShardReply(Token token, const proto::Reply& reply) = 0;
  };

  // CURVE keys for shards on other machines (common/curve_keys.h).
  struct Curve {
    CurveKey shard_public_key;
    CurveKey public_key;  // this frontend's
    CurveKey secret_key;
  };
  struct Options {
    // At most 2^32 - 1 ms (--shard-timeout-ms's bound): each batch tells its shard, which
    // drops what comes later than this (late_batches.h), in 32 bits.
    Duration timeout = std::chrono::seconds(1);
    std::size_t max_pending_per_shard = 50000;
    std::optional<Curve> curve;  // none: plain TCP
    // ZeroMQ's pings on each connection (zero: none); three unanswered close it, and ZeroMQ
    // connects again. Answered by the shard's I/O thread: a slow shard still answers them.
    Duration heartbeat = std::chrono::seconds(2);
  };

  struct ShardCounters {
    std::uint64_t sent = 0;
    std::uint64_t replied = 0;
    std::uint64_t timeouts = 0;     // sent, and not answered within the timeout
    std::uint64_t unavailable = 0;  // never sent: too many pending, the shard unreachable or silent
    std::size_t pending = 0;
  };

  // Throws std::invalid_argument naming an endpoint ZeroMQ cannot connect to, and zmq::error_t
  // when a socket cannot be made (out of descriptors).
  ShardRouter(EventLoop& loop, zmq::context_t& context, const std::vector<std::string>& endpoints,
              Options options, Listener& listener);
  ~ShardRouter();
  ShardRouter(const ShardRouter&) = delete;
  ShardRouter& operator=(const ShardRouter&) = delete;

  std::uint32_t shard_count() const { return static_cast<std::uint32_t>(shards_.size()); }

  // Adds a request for `shard` to this turn's batch and returns it for the caller to fill in
  // (its id is set). The answer arrives later through the Listener with `token`.
  // Returns nullptr, and adds nothing, when the shard already has too many requests pending.
  proto::Request* Add(std::uint32_t shard, Token token);

  // Adds an announce for the shard that owns its torrent, `info_hash` (the announce's, as the
  // caller parsed it), taking `announce` by a swap (both keep their strings' capacity). False,
  // and `announce` left as it was, when that shard already has too many requests pending.
  bool AddAnnounce(const InfoHash& info_hash, proto::AnnounceRequest& announce, Token token);

  // Adds one scrape request per shard that owns some of `hashes`, each hash to its owner (the
  // routing function). `refused`: a shard had too many pending, so its hashes were left out.
  struct Fanout {
    std::uint32_t requests = 0;
    bool refused = false;
  };
  Fanout AddScrape(std::span<const InfoHash> hashes, Token token);

  ShardCounters counters(std::uint32_t shard) const;
  // False from a send that found no connection to the shard until one goes through again, and
  // from a timeout with no word from the shard since its request left (at least half the timeout
  // before) until the shard is heard.
  bool reachable(std::uint32_t shard) const;

 private:
  struct Shard;
  // A request sent and not answered yet; `open` turns false once it was answered or failed.
  struct Pending {
    Token token;
    std::uint32_t shard;
    MonoTime deadline;
    bool open;
    // When it left this frontend: unanswered at its deadline, it timed out. Never: it failed
    // as unavailable.
    std::optional<MonoTime> sent_at;
  };

  void FlushAll();
  void Flush(Shard& shard);
  void FlushInParts(Shard& shard);
  void FlushPart(Shard& shard);
  void SendBatch(Shard& shard);
  bool TrySend(Shard& shard, const std::string& wire);
  // Makes the connection to `shard` again (see kReconnectInterval).
  void Reconnect(Shard& shard);
  void RetryBacklogs();
  void FailBatch(const proto::RequestBatch& batch, const std::string& reason);
  // Fails this turn's batch for `shard` unsent: "shard <i> <state>, retry later" to its clients,
  // and `log_what` in the log unless null.
  void FailUnsent(Shard& shard, const char* log_what, std::string_view state);
  void OnReadable(Shard& shard);
  // Logs a misrouted request (each shard at most once per 10 s) and gives its client "tracker
  // misconfigured, retry later" with `retry in`.
  void KeepMisrouteFromClient(Shard& shard, proto::Reply& reply);
  Pending* FindOpen(std::uint64_t id);
  void MarkSent(std::uint64_t id, MonoTime now);
  // Closes `pending` and hands `reply` (with its id) to the listener.
  void Answer(Pending& pending, const proto::Reply& reply);
  void Fail(std::uint64_t id, const std::string& reason);
  void ArmDeadlineTimer();
  void ExpireDeadlines();
  // Warns, a line a minute per shard at most, that its requests fail and why.
  void LogFailures(Shard& shard, const char* what);
  // What an operator checks when a shard fails requests.
  std::string_view WhatToCheck() const;
  bool ReportDownOnce(Shard& shard, MonoTime now);
  // A request sent at `sent_at` timed out: out for most of the timeout without a word from the
  // shard since, the shard is silent.
  void NoteSilence(Shard& shard, MonoTime sent_at, MonoTime now);

  EventLoop& loop_;
  Options options_;
  Listener& listener_;
  std::vector<std::unique_ptr<Shard>> shards_;
  // Requests in id order: request ids are consecutive and deadlines grow with them, so one
  // deque finds a request by id (no hash map, no allocation per request once warm) and its
  // front is always the next to expire. Answered entries leave once they reach the front.
  std::deque<Pending> pending_;
  std::uint64_t first_pending_id_ = 1;  // the id of pending_.front()
  TimerId deadline_timer_ = 0;
  bool flush_scheduled_ = false;
  TimerId retry_timer_ = 0;
  proto::Reply failure_reply_;  // reused to report failures
  proto::ReplyBatch incoming_;  // reused to parse replies
  // AddScrape's per-call scratch, reused: each shard's request, and whether a shard refused.
  std::vector<proto::ScrapeRequest*> scrape_targets_;
  std::vector<char> scrape_refused_;
};

}  // namespace shardtrack

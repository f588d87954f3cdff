// ShardServer: a shard's network face. A ROUTER socket on the EventLoop takes one RequestBatch
// per message from any frontend, hands it to the ShardService, and answers with a ReplyBatch.
// What the replies wait for is the GroupCommit's: at the end of a turn the turn is written, then
// its replies go out, except those that counted a completion, which the GroupCommit holds until a
// sync covers them and then hands back here, in a message of their own. Periodic snapshots are a
// SnapshotScheduler's; expiry is an ExpiryTimer's, beside this. Persistence comes in through
// ReplyDurability and BackgroundSnapshot, so this class knows no files. Loop thread only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/curve_keys.h"
#include "common/log_throttle.h"
#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "proto/shardtrack.pb.h"
#include "shard/background_snapshot.h"
#include "shard/frontend_keys.h"
#include "shard/group_commit.h"
#include "shard/late_batches.h"
#include "shard/reply_durability.h"
#include "shard/shard_service.h"
#include "shard/shard_settings.h"
#include "shard/snapshot_scheduler.h"
#include "shard/swarm_store.h"
#include "shard/turn_log.h"

namespace shardtrack {

class ShardServer {
 public:
  ShardServer(EventLoop& loop, zmq::context_t& context, const ShardSettings& settings,
              SwarmStore& store, ShardService& service);
  ~ShardServer();
  // Makes the socket a CURVE server with `secret_key`; a ZapHandler admits the frontends `keys`
  // lists at their handshakes. ZeroMQ cannot close one peer's connection, so a batch from a
  // frontend whose key a reload has taken off the list since is dropped unapplied: revoking a key
  // takes effect at once. `keys` must outlive the server. Call before Bind.
  void UseCurve(const CurveKey& secret_key, const FrontendKeys& keys);
  // The ROUTER socket, for a ConnectionWatch to watch its connections.
  zmq::socket_t& socket() { return socket_; }
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;

  // Binds the ROUTER socket; returns the endpoint actually bound (a '*' port resolved).
  Result<std::string> Bind();
  // Without it, replies go out at once. Must outlive the server.
  void SetDurability(ReplyDurability* durability) { commit_.SetDurability(durability); }
  // Written at the end of each turn that handled batches, before the journal and the replies;
  // synced with the journal (turn_log.h). Must outlive the server.
  void SetTurnLog(TurnLog* log) { commit_.SetTurnLog(log); }
  // For what else writes the journal between turns (the ExpiryTimer).
  GroupCommit& commit() { return commit_; }
  // The periodic snapshot; without it there is none. Must outlive the server. Call before Start.
  void SetBackgroundSnapshot(BackgroundSnapshot& snapshot);
  // Starts taking requests, and the snapshots if there is a BackgroundSnapshot.
  void Start();
  // Stops taking requests (shutdown): answers what frontends sent before it, abandons a running
  // snapshot (the final one follows), waits for its cleanup and sends the replies that waited for
  // a sync.
  void Close();

  std::uint64_t batches_handled() const { return batches_handled_; }
  // Messages dropped unread: not one payload frame, or not a RequestBatch.
  std::uint64_t malformed_messages() const { return malformed_messages_; }
  // Requests dropped unapplied: their batch came after its frontend gave up on it (LateBatches).
  std::uint64_t late_requests() const { return late_requests_; }
  // Requests dropped unapplied: their frontend's key was revoked after it connected.
  std::uint64_t revoked_requests() const { return revoked_requests_; }
  // A journal write or sync failed and the loop was stopped because of it.
  bool commit_failed() const { return commit_.failed(); }

 private:
  struct Outgoing {
    zmq::message_t identity;
    std::string payload;
  };

  void OnReadable();
  // Handles up to kMaxBatchesPerTurn waiting batches and ends the turn; returns how many.
  int ReadBatches();
  void DropMalformed(std::string_view what);  // counted; logged at most once a minute
  // Adds incoming_'s requests to `dropped`; true when `log` is due a line.
  bool CountDropped(std::uint64_t& dropped, LogThrottle& log);
  void DropLate();  // incoming_, counted; logged at most once a minute
  // Whether the frontend that sent `payload` still has a listed key (true without CURVE).
  bool SenderStillAdmitted(const zmq::message_t& payload) const;
  void DropRevoked(std::string_view key_hex);  // the same
  // Queues reply_ for `identity`: its completion replies to commit_ to hold, the rest in
  // outgoing_.
  void Queue(zmq::message_t identity);
  // Holds the completion replies of reply_ (taking them out of it) in a message of their own.
  void HoldCompletions(const zmq::message_t& identity);
  void EndTurn();  // the turn written, its replies go out
  void Send(std::string_view identity, std::string_view payload);

  EventLoop& loop_;
  const ShardSettings& settings_;
  SwarmStore& store_;
  ShardService& service_;
  zmq::socket_t socket_;
  GroupCommit commit_;  // sends through socket_: declared after it, destroyed before it
  proto::RequestBatch incoming_;
  proto::ReplyBatch reply_;
  proto::ReplyBatch held_reply_;
  // This turn's replies (the first outgoing_used_), sent once the turn is written. Kept across
  // turns so that serializing a reply reuses an earlier one's buffer.
  std::vector<Outgoing> outgoing_;
  std::size_t outgoing_used_ = 0;
  bool watching_ = false;
  std::uint64_t batches_handled_ = 0;
  std::uint64_t malformed_messages_ = 0;
  LogThrottle malformed_log_;
  LateBatches late_;
  std::uint64_t late_requests_ = 0;
  LogThrottle late_log_;
  const FrontendKeys* frontend_keys_ = nullptr;  // with CURVE only
  std::uint64_t revoked_requests_ = 0;
  LogThrottle revoked_log_;
  std::optional<SnapshotScheduler> snapshots_;  // with a BackgroundSnapshot only
};

}  // namespace shardtrack

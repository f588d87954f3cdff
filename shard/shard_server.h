// ShardServer: a shard's network face. A ROUTER socket on the EventLoop takes one RequestBatch
// per message from any frontend, hands it to the ShardService, and answers with one ReplyBatch.
// Replies produced in one turn wait for one group commit of the journal (completed counts must
// be durable before any client sees them), then go out together. Expiry runs on a timer in
// bounded slices so a sweep never stalls replies; a second timer saves a snapshot every
// save_dfile_interval. Persistence comes in through hooks, so this class knows no files.
// Loop thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "common/reactor/event_loop.h"
#include "common/result.h"
#include "proto/shardtrack.pb.h"
#include "shard/shard_service.h"
#include "shard/shard_settings.h"
#include "shard/swarm_store.h"

namespace shardtrack {

class ShardServer {
 public:
  // Makes this turn's completions durable; replies are sent only after it returns OK.
  using CommitHook = std::function<Status()>;
  // Sees each handled batch and its replies (to journal them) before the turn's commit.
  using RecordHook =
      std::function<void(const proto::RequestBatch&, const proto::ReplyBatch&, UnixSeconds now)>;
  // Saves a snapshot; runs on the save timer.
  using SaveHook = std::function<void()>;

  ShardServer(EventLoop& loop, zmq::context_t& context, const ShardSettings& settings,
              SwarmStore& store, ShardService& service);
  ~ShardServer();
  ShardServer(const ShardServer&) = delete;
  ShardServer& operator=(const ShardServer&) = delete;

  // Binds the ROUTER socket; returns the endpoint actually bound (a '*' port resolved).
  Result<std::string> Bind();
  void SetCommitHook(CommitHook hook) { commit_ = std::move(hook); }
  void SetRecordHook(RecordHook hook) { record_ = std::move(hook); }
  void SetSaveHook(SaveHook hook) { save_ = std::move(hook); }
  // Starts the expiry timer, and the save timer if there is a save hook.
  void Start();
  // Stops taking requests (shutdown).
  void Close();

  std::uint64_t batches_handled() const { return batches_handled_; }
  // A commit failed and the loop was stopped because of it.
  bool commit_failed() const { return commit_failed_; }

 private:
  struct Outgoing {
    zmq::message_t identity;
    std::string payload;
  };

  void OnReadable();
  void SendAll();
  void RunExpirySlice();
  void RunSave();

  EventLoop& loop_;
  const ShardSettings& settings_;
  SwarmStore& store_;
  ShardService& service_;
  zmq::socket_t socket_;
  CommitHook commit_;
  RecordHook record_;
  SaveHook save_;
  proto::RequestBatch incoming_;
  proto::ReplyBatch reply_;
  std::vector<Outgoing> outgoing_;
  TimerId expiry_timer_ = 0;
  TimerId save_timer_ = 0;
  bool watching_ = false;
  bool commit_failed_ = false;
  std::uint64_t batches_handled_ = 0;
};

}  // namespace shardtrack

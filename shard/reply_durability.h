// ReplyDurability: what ShardServer asks of persistence so that no reply promises more than the
// files keep. Each handled batch is recorded, and written before any of its replies goes out, so
// whatever a client saw survives kill -9. A reply that counted a completion waits in addition for
// a sync, so an acknowledged completion survives a power loss too; the sync runs on another
// thread while the loop keeps serving. Implemented by ShardPersistence. Loop thread only, except
// a PrepareSync() job.
#pragma once

#include <functional>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "proto/shardtrack.pb.h"
#include "shard/shard_service.h"

namespace shardtrack {

class ReplyDurability {
 public:
  virtual ~ReplyDurability() = default;

  // One handled batch: the announces applied to the store and the completions counted
  // (ShardService::applied() and completions()).
  virtual void Record(const std::vector<PeerAnnounce>& applied,
                      const std::vector<CountedCompletion>& completions, UnixSeconds now) = 0;
  // Torrents the expiry forgot with their completed counts (--torrent-retention), so that a
  // restart does not bring them back. Written with the next Write; needs no sync.
  virtual void RecordForgotten(const std::vector<InfoHash>& forgotten) = 0;
  // Writes what was recorded; a failure means nothing recorded since may be answered.
  virtual Status Write() = 0;
  // A written completion is not durable yet.
  virtual bool NeedsSync() const = 0;
  // Whether completions wait for a sync at all (--sync-completions).
  virtual bool SyncsCompletions() const = 0;
  // A blocking sync of everything written so far, to run on another thread. Its Status must be
  // handed to Synced() on the loop thread before the next PrepareSync().
  virtual std::function<Status()> PrepareSync() = 0;
  virtual void Synced(const Status& status) = 0;
};

}  // namespace shardtrack

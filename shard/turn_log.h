// TurnLog: a log beside the journal that ShardServer keeps in step with its replies: written at
// the end of each turn before the replies go out (so, like the journal, it survives kill -9),
// and synced with the journal before a reply that counted a completion goes out (so it survives
// a power loss like that completion). The accounting's credit log (AccountingFlusher) is one.
// Its failures are its own to report: they stop nothing, since the swarm's state does not depend
// on it. Loop thread only, except a PrepareLogSync() job.
#pragma once

#include <functional>

#include "common/result.h"

namespace shardtrack {

class TurnLog {
 public:
  virtual ~TurnLog() = default;
  virtual void WriteLog() = 0;
  // A blocking sync of everything written so far, to run on another thread; empty when nothing
  // was written since the last one. Its Status goes to LogSynced() on the loop thread.
  virtual std::function<Status()> PrepareLogSync() = 0;
  virtual void LogSynced(const Status& status) = 0;
  // The data directory's files vanished (removed by hand) and the directory was made again:
  // write again what the log's files held, so that a kill -9 before its next regular write
  // loses none of it. Failures are logged.
  virtual void FilesVanished() = 0;
};

}  // namespace shardtrack

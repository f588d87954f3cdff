// BackgroundWorker: runs one blocking job at a time (an fdatasync) on its own thread, so the loop
// keeps serving meanwhile, and hands the job's Status back on the loop thread through an eventfd
// the loop watches. The reactor part knows nothing of what the job does.
//
// Loop thread only, except the job itself. The job must only touch what is safe to use from
// another thread while the loop runs. Destroying the worker waits for a running job (its Done is
// not called).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/reactor/event_loop.h"
#include "common/result.h"

namespace shardtrack {

class BackgroundWorker {
 public:
  using Job = std::function<Status()>;
  using Done = std::function<void(Status)>;

  explicit BackgroundWorker(EventLoop& loop);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // A job was started and its Done has not run yet.
  bool busy() const { return done_ != nullptr; }
  // Starts `job` on the worker thread; `done` runs on the loop thread with its Status.
  // Must not be called while busy().
  void Start(Job job, Done done);
  // Blocks until the running job (if any) has finished, then runs its Done right here.
  void Wait();

 private:
  void ThreadMain();
  void OnWakeUp();
  void Deliver(Status status);

  EventLoop& loop_;
  int wake_fd_ = -1;
  Done done_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Job job_;                       // guarded by mutex_: set by Start, taken by the thread
  std::optional<Status> result_;  // guarded by mutex_: set by the thread, taken by the loop
  bool quitting_ = false;         // guarded by mutex_
  std::thread thread_;
};

}  // namespace shardtrack

// SnapshotChild: a forked child process that runs one job (writing a snapshot's temp file) on its
// copy-on-write image of the parent while the parent keeps serving. Only the forking thread
// exists in the child, so the job must not touch ZeroMQ, spdlog or anything another thread may
// have held at the fork; the child runs no destructors and no atexit handlers (_exit). It passes
// the job's result (bytes on success, the error text otherwise) back through a pipe and exits 0
// or 1; it is killed if the parent dies first. Before the job it moves itself to the CPUs it was
// given (sched_setaffinity), so that it need not compete with a parent pinned to its own core;
// when it cannot, the job still runs on the CPUs it inherited and Wait() leaves the reason in
// affinity_error(). The parent watches done_fd() (a pidfd, readable once the child has exited),
// then calls Wait(). Owns the child: destroying an unreaped one kills and reaps it. Loop thread
// only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

class SnapshotChild {
  struct OnlyStart {  // a key only Start can make: the constructor is public for make_unique
    explicit OnlyStart() = default;
  };

 public:
  // Runs in the child. Its result is cut to 4000 bytes.
  using Job = std::function<Result<std::string>()>;

  // `cpus`: the CPU numbers the child may run on; empty: those of the parent.
  static Result<std::unique_ptr<SnapshotChild>> Start(const Job& job,
                                                      const std::vector<int>& cpus = {});
  SnapshotChild(OnlyStart, pid_t pid, UniqueFd pidfd, UniqueFd result_fd)
      : pid_(pid), pidfd_(std::move(pidfd)), result_fd_(std::move(result_fd)) {}
  ~SnapshotChild();
  SnapshotChild(const SnapshotChild&) = delete;
  SnapshotChild& operator=(const SnapshotChild&) = delete;

  // Readable once the child has exited. Owned by this object.
  int done_fd() const { return pidfd_.get(); }
  // Blocks until the child has exited (at once when done_fd() is readable): the job's result, or
  // an error naming the job's failure or how the child died. Call once.
  Result<std::string> Wait();
  // After Wait(): why the child could not move to the CPUs it was given (it ran on the parent's
  // instead); empty when it did, or when none were given.
  const std::string& affinity_error() const { return affinity_error_; }

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd result_fd_;  // read end of the pipe the child writes its result to
  bool reaped_ = false;
  std::string affinity_error_;
};

}  // namespace shardtrack

// FaultyFileOps: a FileOps wrapper for tests that fails chosen calls, tears a write, or "crashes"
// (every later mutating call fails, as after kill -9, so no clean-up can run). Reads always pass
// through, and listings but for one chosen to fail (kList), crash or not. It also records on which
// thread files from Unlink() are finally closed (NoteRelease() and releases() /
// last_release_thread() are thread-safe: that close may run on another thread). Owns nothing but
// counters; the wrapped FileOps must outlive it and every file it returned.
#pragma once

#include <array>
#include <cstddef>
#include <mutex>
#include <thread>

#include "shard/persistence/file_ops.h"

namespace shardtrack {

class FaultyFileOps final : public FileOps {
 public:
  // kOpen: for writing; kOpenToRead: OpenSequential (a file that cannot be opened at start);
  // kList: ListDir (a directory that cannot be read).
  enum class Op {
    kOpen,
    kWrite,
    kSync,
    kRename,
    kLink,
    kSyncDir,
    kRemove,
    kOpenToRead,
    kList,
    kCount
  };

  explicit FaultyFileOps(FileOps& real) : real_(real) {}

  // The `n`th call of `op` from now on (1 = the next one) fails; the others pass.
  void FailNth(Op op, int n) { FailCalls(op, n, n); }
  // The next `count` calls of `op` fail.
  void FailNext(Op op, int count) { FailCalls(op, 1, count); }
  // The `n`th write from now on stores only its first `keep` bytes, then the process crashes.
  void TearNthWrite(int n, std::size_t keep);
  // Every mutating call from now on fails.
  void Crash() { crashed_ = true; }
  bool crashed() const { return crashed_; }
  int calls(Op op) const { return calls_[static_cast<std::size_t>(op)]; }

  // Counts the call and says whether it must fail. For the wrapped files.
  Status Check(Op op);
  // True when this write is the one to tear; `keep` gets how many bytes to store.
  bool TearThisWrite(std::size_t& keep);
  // Called when a file from Unlink() is destroyed, on the destroying thread.
  void NoteRelease();
  // How many files from Unlink() were destroyed, and on which thread the last one was.
  int releases() const;
  std::thread::id last_release_thread() const;

  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status Remove(const std::string& path) override;
  Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) override;
  bool Exists(const std::string& path) override { return real_.Exists(path); }
  Result<std::string> ReadFile(const std::string& path, std::uint64_t max_bytes) override {
    return real_.ReadFile(path, max_bytes);
  }
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    if (Status status = Check(Op::kOpenToRead); !status) return Error{status.error()};
    return real_.OpenSequential(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    const auto slot = static_cast<std::size_t>(Op::kList);
    if (Failing(slot, ++calls_[slot])) return Error{"injected fault"};
    return real_.ListDir(dir);
  }
  Status CreateDir(const std::string& dir) override { return real_.CreateDir(dir); }

 private:
  static constexpr std::size_t kOps = static_cast<std::size_t>(Op::kCount);
  FileOps& real_;
  std::array<int, kOps> calls_{};
  // Calls from..through (counted from the first) fail: none planned while `from` is 0.
  void FailCalls(Op op, int from, int through);
  bool Failing(std::size_t slot, int call) const {
    return fail_from_[slot] != 0 && call >= fail_from_[slot] && call <= fail_through_[slot];
  }
  std::array<int, kOps> fail_from_{};
  std::array<int, kOps> fail_through_{};
  int tear_at_ = 0;
  std::size_t tear_keep_ = 0;
  bool crashed_ = false;
  mutable std::mutex release_mutex_;
  int releases_ = 0;                     // guarded by release_mutex_
  std::thread::id last_release_thread_;  // guarded by release_mutex_
};

}  // namespace shardtrack

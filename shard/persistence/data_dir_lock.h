// DataDirLock: keeps processes that would undo each other's files off one data directory. A
// shard's start loads every file and writes a snapshot one generation above all it read, so a
// second process on the same files (a double start, or a shard of another shard count while
// this layout runs) makes the files of the one still running lose at the next start: completed
// counts clients were told of go back. So every shard holds, for its whole life, locks on
// <data-dir>/shardtrack.lock (fcntl open-file-description locks, dropped by the kernel however
// the process ends): a shared lock on the byte at its shard count, and an exclusive one on its
// index's byte past kIndexOffset. Taking them fails, naming who holds the directory, before
// anything is read or written. Several shards of one layout share a directory, in one process
// (shardtrack-node) or in several.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "common/unique_fd.h"

namespace shardtrack {

class DataDirLock {
 public:
  static constexpr const char* kFileName = "shardtrack.lock";

  // Creates the lock file in `dir` (which must exist) if missing.
  static Result<std::unique_ptr<DataDirLock>> Take(const std::string& dir, std::uint32_t index,
                                                   std::uint32_t count);
  // For a tool about to change files: fails if a shard of another count than `count` (0: of
  // any count) runs on `dir`. A directory without a lock file has none running.
  static Status CheckNoneRunsBut(const std::string& dir, std::uint32_t count);

  // Whether <dir>/shardtrack.lock is still the file this lock holds: someone may have deleted
  // it, and another shard could then lock a new one and start on the same files.
  bool InPlace(const std::string& dir) const;
  // Fails when `dir` (or, if it is gone, its parent) is no longer on the filesystem it was on
  // when locked: its volume was unmounted, and a directory made again there would hide the
  // files from the next start while a second shard could lock them.
  Status OnItsFilesystem(const std::string& dir) const;

  explicit DataDirLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  void NoteDevices(const std::string& dir);

  UniqueFd fd_;
  std::optional<dev_t> dir_device_;
  std::optional<dev_t> parent_device_;
};

}  // namespace shardtrack

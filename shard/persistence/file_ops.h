// FileOps: the seam between persistence and the file system, so every failure step of a write
// can be injected in tests (faulty_file_ops.h). PosixFileOps is the real one. Methods return
// errors as values whose message names the path and the errno text. PosixFileOps holds no state,
// so the accounting's worker thread, the shard's sync thread (a new credit log's directory) and
// the shard's loop use one at once; FaultyFileOps counts calls without a lock, so tests inject
// faults only while one thread uses it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace shardtrack {

// An open file being written; closed when destroyed.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // All of `bytes`, or an error and none of them (PosixFileOps takes back what a failed write
  // left, such as the part a full disk took).
  virtual Status Append(std::string_view bytes) = 0;
  // fdatasync: the appended bytes are durable when this returns ok. May run on another thread
  // while the owner goes on appending (PosixFileOps: plain system calls on one descriptor).
  virtual Status Sync() = 0;
  virtual const std::string& path() const = 0;
  // After a rename of the open file: later errors name `path`, the name it has now.
  virtual void Renamed(std::string path) = 0;
};

// An open file being read from its start, a chunk at a time (a large file need not be held
// whole); closed when destroyed.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Appends up to `max_bytes` more of the file to `out`; appends nothing at the end of the file.
  virtual Status Read(std::size_t max_bytes, std::string& out) = 0;
  virtual const std::string& path() const = 0;
};

// A file whose last name is gone but which is still open, so its blocks are not freed yet: they
// are freed when this is destroyed (the file's last close). For a large file that can take long
// (ext4 frees the extents then, and trims them when mounted with `discard`: ~145 ms for 410 MB),
// so the owner chooses the thread that destroys it. Nothing else may be done with it.
class UnlinkedFile {
 public:
  virtual ~UnlinkedFile() = default;
};

class FileOps {
 public:
  enum class OpenMode { kTruncate, kAppend };  // both create a missing file

  virtual ~FileOps() = default;
  virtual Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                             OpenMode mode) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // A second name `to` for the file `from` (hard link); `to` must not exist.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  // Makes renames, links and creations inside `dir` durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Removes a file; removing a missing file is ok. The file's blocks are freed inside the call
  // when that was its last name and nobody has it open.
  virtual Status Remove(const std::string& path) = 0;
  // Removes a file like Remove, but opens it first and returns it open, so that its blocks are
  // freed only when the result is destroyed; nullptr when the file did not exist.
  virtual Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // At most `max_bytes` from the start of the file.
  virtual Result<std::string> ReadFile(const std::string& path,
                                       std::uint64_t max_bytes = UINT64_MAX) = 0;
  virtual Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) = 0;
  // Names (not paths) of the regular files in `dir`.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual Status CreateDir(const std::string& dir) = 0;  // ok if it exists
};

class PosixFileOps final : public FileOps {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status Remove(const std::string& path) override;
  Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) override;
  bool Exists(const std::string& path) override;
  Result<std::string> ReadFile(const std::string& path, std::uint64_t max_bytes) override;
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
};

// Writes `bytes` as the whole of `path` (created, or emptied first) and fdatasyncs them: open,
// append, sync, each a step a FaultyFileOps can fail. The file is closed on return, or handed to
// `still_open` (if given) for a caller that goes on appending. The new name is not durable until
// the caller syncs the directory.
Status WriteWholeFile(FileOps& ops, const std::string& path, std::string_view bytes,
                      std::unique_ptr<WritableFile>* still_open = nullptr);

// "<what> <path>: <errno text>", and what the operator can do about it (free space, remount, ...).
Error ErrnoError(std::string_view what, const std::string& path, int error);

// `dir` + "/" + `name`.
std::string JoinPath(std::string_view dir, std::string_view name);
// The directory holding `dir` ("." for a bare name; a trailing slash names no other directory).
std::string ParentOf(const std::string& dir);
// Whether `name` is among `names` (a ListDir's): what is there, without a stat that could fail.
bool Listed(const std::vector<std::string>& names, std::string_view name);
// Made by root (a tool run by hand, or with sudo), a file would shut out a shard run as the
// directory's owner: root gives it to that owner (anyone else owns it already: nothing to do).
Status GiveToDirectoryOwner(const std::string& path, const std::string& dir);

}  // namespace shardtrack

// PassThroughFileOps: real files (PosixFileOps) behind every call, for a test's FileOps to
// override only the calls it changes (RefusingFileOps, PowerLossFileOps).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shard/persistence/file_ops.h"

namespace shardtrack {

class PassThroughFileOps : public FileOps {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override {
    return real_.OpenWritable(path, mode);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return real_.Rename(from, to);
  }
  Status Link(const std::string& from, const std::string& to) override {
    return real_.Link(from, to);
  }
  Status SyncDir(const std::string& dir) override { return real_.SyncDir(dir); }
  Status Remove(const std::string& path) override { return real_.Remove(path); }
  Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) override {
    return real_.Unlink(path);
  }
  bool Exists(const std::string& path) override { return real_.Exists(path); }
  Result<std::string> ReadFile(const std::string& path, std::uint64_t max_bytes) override {
    return real_.ReadFile(path, max_bytes);
  }
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    return real_.OpenSequential(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return real_.ListDir(dir);
  }
  Status CreateDir(const std::string& dir) override { return real_.CreateDir(dir); }

 private:
  PosixFileOps real_;
};

}  // namespace shardtrack

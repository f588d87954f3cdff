// MemoryFile: a SequentialFile over bytes held in memory that hands out the whole rest a read,
// or, with a seed, 1 to 8 bytes a read (a file on a slow or odd file system): reading through it
// must give what reading the bytes whole gives (journal_snapshot_fuzz.cc, state_loader_fuzz.cc).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "shard/persistence/file_ops.h"

namespace shardtrack {

class MemoryFile final : public SequentialFile {
 public:
  // `dribble_seed` 0: whole reads.
  MemoryFile(std::string bytes, std::string path, std::uint32_t dribble_seed)
      : bytes_(std::move(bytes)), path_(std::move(path)), x_(dribble_seed) {}
  Status Read(std::size_t max_bytes, std::string& out) override {
    std::size_t n = std::min(max_bytes, bytes_.size() - at_);
    if (x_ != 0) {
      x_ = x_ * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (x_ >> 16) % 8);
    }
    out.append(bytes_, at_, n);
    at_ += n;
    return OkStatus();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string bytes_;
  std::size_t at_ = 0;
  std::string path_;
  std::uint32_t x_;
};

}  // namespace shardtrack

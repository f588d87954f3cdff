// PowerLossFileOps: real files, and a power loss on demand. It remembers how much of each file
// written through it was synced (a Sync covers what was appended when it began) and PowerLoss()
// cuts every such file back to that: what the kernel had not written back is gone, as when the
// power fails before writeback. A file or directory created through it is gone too unless its
// parent directory was synced since (renames are not modelled: a renamed file keeps its new
// name). Thread-safe: a sync may run on another thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "tests/unit/shard/persistence/pass_through_file_ops.h"

namespace shardtrack {

class PowerLossFileOps final : public PassThroughFileOps {
 public:
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path,
                                                     OpenMode mode) override {
    std::error_code error;
    const bool existed = std::filesystem::exists(path);
    const std::uint64_t existing =
        mode == OpenMode::kAppend ? std::filesystem::file_size(path, error) : 0;
    auto opened = PassThroughFileOps::OpenWritable(path, mode);
    if (!opened) return opened;
    if (!existed) Created(path);
    auto state = std::make_shared<Sizes>();
    state->appended = state->synced = error ? 0 : existing;
    Track(path, state);
    return std::unique_ptr<WritableFile>(std::make_unique<File>(std::move(*opened), state));
  }
  Status Rename(const std::string& from, const std::string& to) override {
    Status renamed = PassThroughFileOps::Rename(from, to);
    if (renamed) Move(from, to);
    return renamed;
  }
  Status CreateDir(const std::string& dir) override {
    const bool existed = std::filesystem::exists(dir);
    Status created = PassThroughFileOps::CreateDir(dir);
    if (created && !existed) Created(dir);
    return created;
  }
  Status SyncDir(const std::string& dir) override {
    Status synced = PassThroughFileOps::SyncDir(dir);
    if (synced) {
      std::lock_guard lock(mutex_);
      std::erase_if(new_entries_, [&](const std::string& entry) {
        return Normal(ParentOf(entry)) == Normal(dir);
      });
    }
    return synced;
  }
  Status Link(const std::string& from, const std::string& to) override {
    Status linked = PassThroughFileOps::Link(from, to);
    if (linked) {
      std::lock_guard lock(mutex_);
      if (auto it = files_.find(from); it != files_.end()) files_[to] = it->second;
    }
    return linked;
  }
  Status Remove(const std::string& path) override {
    Forget(path);
    return PassThroughFileOps::Remove(path);
  }
  Result<std::unique_ptr<UnlinkedFile>> Unlink(const std::string& path) override {
    Forget(path);
    return PassThroughFileOps::Unlink(path);
  }

  // Cuts every file written through this back to what its syncs covered, and removes what was
  // created without a sync of its directory; returns how many bytes went. Call once every writer
  // is gone (the process "died").
  std::uint64_t PowerLoss() {
    std::lock_guard lock(mutex_);
    std::uint64_t lost = 0;
    for (auto it = new_entries_.rbegin(); it != new_entries_.rend(); ++it) {  // files before dirs
      std::error_code error;
      std::filesystem::remove_all(*it, error);
    }
    new_entries_.clear();
    for (const auto& [path, sizes] : files_) {
      std::error_code error;
      const std::uint64_t size = std::filesystem::file_size(path, error);
      if (error || size <= sizes->synced) continue;
      std::filesystem::resize_file(path, sizes->synced);
      lost += size - sizes->synced;
    }
    files_.clear();
    return lost;
  }

 private:
  struct Sizes {
    std::atomic<std::uint64_t> appended{0};
    std::atomic<std::uint64_t> synced{0};
  };
  class File final : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> real, std::shared_ptr<Sizes> sizes)
        : real_(std::move(real)), sizes_(std::move(sizes)) {}
    Status Append(std::string_view bytes) override {
      Status appended = real_->Append(bytes);
      if (appended) sizes_->appended += bytes.size();
      return appended;
    }
    Status Sync() override {
      const std::uint64_t covered = sizes_->appended;
      Status synced = real_->Sync();
      if (synced && covered > sizes_->synced) sizes_->synced = covered;
      return synced;
    }
    const std::string& path() const override { return real_->path(); }
    void Renamed(std::string path) override { real_->Renamed(std::move(path)); }

   private:
    std::unique_ptr<WritableFile> real_;
    std::shared_ptr<Sizes> sizes_;
  };

  void Track(const std::string& path, std::shared_ptr<Sizes> sizes) {
    std::lock_guard lock(mutex_);
    files_[path] = std::move(sizes);
  }
  static std::string Normal(const std::string& path) {
    std::filesystem::path normal = std::filesystem::path(path).lexically_normal();
    if (!normal.has_filename()) normal = normal.parent_path();
    return normal.string();
  }
  void Created(const std::string& path) {
    std::lock_guard lock(mutex_);
    new_entries_.insert(Normal(path));
  }
  void Move(const std::string& from, const std::string& to) {
    std::lock_guard lock(mutex_);
    if (new_entries_.erase(Normal(from)) > 0) new_entries_.insert(Normal(to));
    auto it = files_.find(from);
    if (it == files_.end()) return;
    auto sizes = std::move(it->second);
    files_.erase(it);
    files_[to] = std::move(sizes);
  }
  void Forget(const std::string& path) {
    std::lock_guard lock(mutex_);
    files_.erase(path);
    new_entries_.erase(Normal(path));
  }

  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Sizes>> files_;
  std::set<std::string> new_entries_;  // normal paths, created since their directory's last sync
};

}  // namespace shardtrack

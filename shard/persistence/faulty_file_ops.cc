#include "shard/persistence/faulty_file_ops.h"

#include <algorithm>

namespace shardtrack {
namespace {

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(FaultyFileOps& ops, std::unique_ptr<WritableFile> real)
      : ops_(ops), real_(std::move(real)) {}

  Status Append(std::string_view bytes) override {
    std::size_t keep = 0;
    if (ops_.TearThisWrite(keep)) {
      Status partial = real_->Append(bytes.substr(0, std::min(keep, bytes.size())));
      (void)partial;
      ops_.Crash();
      return Error{"injected torn write to " + path()};
    }
    if (Status status = ops_.Check(FaultyFileOps::Op::kWrite); !status) return status;
    return real_->Append(bytes);
  }
  Status Sync() override {
    if (Status status = ops_.Check(FaultyFileOps::Op::kSync); !status) return status;
    return real_->Sync();
  }
  const std::string& path() const override { return real_->path(); }
  void Renamed(std::string path) override { real_->Renamed(std::move(path)); }

 private:
  FaultyFileOps& ops_;
  std::unique_ptr<WritableFile> real_;
};

class FaultyUnlinkedFile final : public UnlinkedFile {
 public:
  FaultyUnlinkedFile(FaultyFileOps& ops, std::unique_ptr<UnlinkedFile> real)
      : ops_(ops), real_(std::move(real)) {}
  ~FaultyUnlinkedFile() override {
    real_.reset();
    ops_.NoteRelease();
  }

 private:
  FaultyFileOps& ops_;
  std::unique_ptr<UnlinkedFile> real_;
};

}  // namespace

void FaultyFileOps::FailCalls(Op op, int from, int through) {
  fail_from_[static_cast<std::size_t>(op)] = calls(op) + from;
  fail_through_[static_cast<std::size_t>(op)] = calls(op) + through;
}

void FaultyFileOps::TearNthWrite(int n, std::size_t keep) {
  tear_at_ = calls(Op::kWrite) + n;
  tear_keep_ = keep;
}

Status FaultyFileOps::Check(Op op) {
  auto slot = static_cast<std::size_t>(op);
  int call = ++calls_[slot];
  if (crashed_) return Error{"injected crash: the process is gone"};
  if (Failing(slot, call)) return Error{"injected fault"};
  return OkStatus();
}

bool FaultyFileOps::TearThisWrite(std::size_t& keep) {
  if (crashed_ || tear_at_ == 0 || calls(Op::kWrite) + 1 != tear_at_) return false;
  ++calls_[static_cast<std::size_t>(Op::kWrite)];
  keep = tear_keep_;
  tear_at_ = 0;
  return true;
}

Result<std::unique_ptr<WritableFile>> FaultyFileOps::OpenWritable(const std::string& path,
                                                                  OpenMode mode) {
  if (Status status = Check(Op::kOpen); !status) return Error{status.error()};
  auto real = real_.OpenWritable(path, mode);
  if (!real) return Error{real.error()};
  return std::unique_ptr<WritableFile>(
      std::make_unique<FaultyWritableFile>(*this, std::move(real.value())));
}

Status FaultyFileOps::Rename(const std::string& from, const std::string& to) {
  if (Status status = Check(Op::kRename); !status) return status;
  return real_.Rename(from, to);
}

Status FaultyFileOps::Link(const std::string& from, const std::string& to) {
  if (Status status = Check(Op::kLink); !status) return status;
  return real_.Link(from, to);
}

Status FaultyFileOps::SyncDir(const std::string& dir) {
  if (Status status = Check(Op::kSyncDir); !status) return status;
  return real_.SyncDir(dir);
}

Result<std::unique_ptr<UnlinkedFile>> FaultyFileOps::Unlink(const std::string& path) {
  if (Status status = Check(Op::kRemove); !status) return Error{status.error()};
  auto real = real_.Unlink(path);
  if (!real || *real == nullptr) return real;
  return std::unique_ptr<UnlinkedFile>(
      std::make_unique<FaultyUnlinkedFile>(*this, std::move(real.value())));
}

void FaultyFileOps::NoteRelease() {
  std::lock_guard lock(release_mutex_);
  ++releases_;
  last_release_thread_ = std::this_thread::get_id();
}

int FaultyFileOps::releases() const {
  std::lock_guard lock(release_mutex_);
  return releases_;
}

std::thread::id FaultyFileOps::last_release_thread() const {
  std::lock_guard lock(release_mutex_);
  return last_release_thread_;
}

Status FaultyFileOps::Remove(const std::string& path) {
  if (Status status = Check(Op::kRemove); !status) return status;
  return real_.Remove(path);
}

}  // namespace shardtrack

#include "shard/persistence/file_ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/unique_fd.h"

namespace shardtrack {
namespace {

// What the operator can do about the errors a data directory's disk raises.
std::string_view RemedyFor(int error) {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return " (free space or inodes on that file system, see df -h and df -i; then start the "
             "shard again if this stopped it)";
    case EROFS:
      return " (remount the file system read-write, then start the shard again if this stopped "
             "it)";
    case EACCES:
    case EPERM:
      return " (give the shard's user read and write access to --data-dir and its files)";
    case ENOTDIR:
      return " (--data-dir must name a directory, not a file)";
    case EIO:
      return " (the disk failed: see the kernel log, dmesg)";
    default:
      return "";
  }
}

}  // namespace

Error ErrnoError(std::string_view what, const std::string& path, int error) {
  return Error{std::string(what) + " " + path + ": " + std::strerror(error) +
               std::string(RemedyFor(error))};
}

namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Append(std::string_view bytes) override {
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t written = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
      if (written < 0) {
        if (errno == EINTR) continue;
        const int error = errno;
        CutOff(done);
        return ErrnoError("write", path_, error);
      }
      done += static_cast<std::size_t>(written);
    }
    return OkStatus();
  }
  Status Sync() override {
    if (::fdatasync(fd_.get()) != 0) return ErrnoError("fdatasync", path_, errno);
    return OkStatus();
  }
  const std::string& path() const override { return path_; }
  void Renamed(std::string path) override { path_ = std::move(path); }

 private:
  // Takes back the last `bytes` written, so that a failed Append leaves the file as it was
  // (a full disk takes part of a write, and a journal must end at a whole turn's records).
  void CutOff(std::size_t bytes) {
    struct stat info {};
    if (bytes == 0 || ::fstat(fd_.get(), &info) != 0) return;
    const off_t end = info.st_size - static_cast<off_t>(bytes);
    if (::ftruncate(fd_.get(), end) == 0) ::lseek(fd_.get(), end, SEEK_SET);
  }

  std::string path_;
  UniqueFd fd_;
};

class PosixUnlinkedFile final : public UnlinkedFile {
 public:
  explicit PosixUnlinkedFile(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;
};

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  Status Read(std::size_t max_bytes, std::string& out) override {
    const std::size_t start = out.size();
    out.resize(start + max_bytes);
    ssize_t got;
    do {
      got = ::read(fd_.get(), out.data() + start, max_bytes);
    } while (got < 0 && errno == EINTR);
    const int error = errno;
    out.resize(start + (got > 0 ? static_cast<std::size_t>(got) : 0));
    if (got < 0) return ErrnoError("read", path_, error);
    return OkStatus();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  UniqueFd fd_;
};

}  // namespace

std::string ParentOf(const std::string& dir) {
  std::filesystem::path path(dir);
  if (!path.has_filename()) path = path.parent_path();
  const std::filesystem::path parent = path.parent_path();
  return parent.empty() ? "." : parent.string();
}

bool Listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Status GiveToDirectoryOwner(const std::string& path, const std::string& dir) {
  struct stat directory {};
  if (::geteuid() != 0) return OkStatus();
  if (::stat(dir.c_str(), &directory) != 0) return ErrnoError("stat", dir, errno);
  if (::chown(path.c_str(), directory.st_uid, directory.st_gid) != 0) {
    return ErrnoError("chown", path, errno);
  }
  return OkStatus();
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<std::unique_ptr<WritableFile>> PosixFileOps::OpenWritable(const std::string& path,
                                                                 OpenMode mode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == OpenMode::kTruncate ? O_TRUNC : O_APPEND);
  UniqueFd fd(::open(path.c_str(), flags, 0640));  // peers' addresses, members' passkeys
  if (!fd.valid()) return ErrnoError("open", path, errno);
  return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, std::move(fd)));
}

Status PosixFileOps::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return ErrnoError("rename", from + " to " + to, errno);
  return OkStatus();
}

Status PosixFileOps::Link(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) != 0) return ErrnoError("link", from + " to " + to, errno);
  return OkStatus();
}

Status PosixFileOps::SyncDir(const std::string& dir) {
  const UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync directory", dir, errno);
  return OkStatus();
}

Status PosixFileOps::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path, errno);
  return OkStatus();
}

Result<std::unique_ptr<UnlinkedFile>> PosixFileOps::Unlink(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::unique_ptr<UnlinkedFile>();
    return ErrnoError("open to remove", path, errno);
  }
  auto file = std::make_unique<PosixUnlinkedFile>(std::move(fd));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove", path, errno);
  return std::unique_ptr<UnlinkedFile>(std::move(file));
}

bool PosixFileOps::Exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

Result<std::string> PosixFileOps::ReadFile(const std::string& path, std::uint64_t max_bytes) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  std::string out;
  char buffer[1 << 16];
  while (out.size() < max_bytes) {
    std::size_t want = std::min<std::uint64_t>(sizeof(buffer), max_bytes - out.size());
    ssize_t got = ::read(fd.get(), buffer, want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("read", path, errno);
    if (got == 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

Result<std::unique_ptr<SequentialFile>> PosixFileOps::OpenSequential(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path, errno);
  return std::unique_ptr<SequentialFile>(
      std::make_unique<PosixSequentialFile>(path, std::move(fd)));
}

Result<std::vector<std::string>> PosixFileOps::ListDir(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return ErrnoError("list directory", dir, errno);
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat info;
    if (::stat(JoinPath(dir, name).c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      names.push_back(std::move(name));
    }
  }
  ::closedir(handle);
  return names;
}

Status PosixFileOps::CreateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    if (errno == ENOENT) {  // the one case where creating differs from using
      return Error{"create directory " + dir +
                   ": the directory it goes in does not exist (create it, mkdir -p, or correct "
                   "--data-dir)"};
    }
    return ErrnoError("create directory", dir, errno);
  }
  return OkStatus();
}

Status WriteWholeFile(FileOps& ops, const std::string& path, std::string_view bytes,
                      std::unique_ptr<WritableFile>* still_open) {
  auto file = ops.OpenWritable(path, FileOps::OpenMode::kTruncate);
  if (!file) return Error{file.error()};
  if (Status appended = (*file)->Append(bytes); !appended) return appended;
  if (Status synced = (*file)->Sync(); !synced) return synced;
  if (still_open != nullptr) *still_open = std::move(*file);
  return OkStatus();
}

}  // namespace shardtrack

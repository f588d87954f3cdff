#include "shard/persistence/data_dir_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>

#include "shard/persistence/file_ops.h"

namespace shardtrack {
namespace {

// Shard counts take bytes 1 .. 2^32-1, indexes the bytes from here on.
constexpr off_t kIndexOffset = off_t{1} << 32;

struct flock ByteRange(short type, off_t start, off_t length) {
  struct flock range {};
  range.l_type = type;
  range.l_whence = SEEK_SET;
  range.l_start = start;
  range.l_len = length;
  return range;
}

// The shard count of a layout holding a lock in [first, first + length), if any.
Result<std::optional<std::uint32_t>> CountLockedIn(int fd, const std::string& path, off_t first,
                                                   off_t length) {
  if (length <= 0) return std::optional<std::uint32_t>();
  struct flock range = ByteRange(F_WRLCK, first, length);
  if (::fcntl(fd, F_OFD_GETLK, &range) != 0) return ErrnoError("test a lock on", path, errno);
  if (range.l_type == F_UNLCK) return std::optional<std::uint32_t>();
  return std::optional<std::uint32_t>(static_cast<std::uint32_t>(range.l_start));
}

// A shard of a count other than `count` (0: any) holding the directory, or nullopt.
Result<std::optional<std::uint32_t>> OtherLayoutRunning(int fd, const std::string& path,
                                                        std::uint32_t count) {
  const off_t own = count;
  auto below = CountLockedIn(fd, path, 1, own == 0 ? kIndexOffset - 1 : own - 1);
  if (!below || *below || own == 0) return below;
  return CountLockedIn(fd, path, own + 1, kIndexOffset - own - 1);
}

std::string InUseByOtherLayout(const std::string& dir, std::uint32_t running) {
  return "data directory " + dir + " is in use by the shards of a " + std::to_string(running) +
         "-shard layout: stop every one of them first (to change the shard count, stop the "
         "whole cluster and start it again with the new count; docs/persistence.md)";
}

}  // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::Take(const std::string& dir, std::uint32_t index,
                                                       std::uint32_t count) {
  const std::string path = JoinPath(dir, kFileName);
  UniqueFd file(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!file.valid()) return ErrnoError("open", path, errno);
  const int fd = file.get();
  auto lock = std::make_unique<DataDirLock>(std::move(file));
  lock->NoteDevices(dir);
  // A shard needs it open for writing. Should the gift fail, its own start says it cannot open
  // the file, and where.
  (void)GiveToDirectoryOwner(path, dir);
  struct flock layout = ByteRange(F_RDLCK, count, 1);
  if (::fcntl(fd, F_OFD_SETLK, &layout) != 0) return ErrnoError("lock", path, errno);
  // Locked first, tested after: of two layouts starting at once, at least one sees the other.
  auto other = OtherLayoutRunning(fd, path, count);
  if (!other) return Error{other.error()};
  if (*other) return Error{InUseByOtherLayout(dir, **other)};
  struct flock shard = ByteRange(F_WRLCK, kIndexOffset + index, 1);
  if (::fcntl(fd, F_OFD_SETLK, &shard) == 0) return lock;
  if (errno != EAGAIN && errno != EACCES) return ErrnoError("lock", path, errno);
  return Error{"data directory " + dir + " is in use: shard " + std::to_string(index) + " of " +
               std::to_string(count) +
               " already runs on it (stop that process first; two on the same files would each "
               "undo the other's changes)"};
}

Status DataDirLock::CheckNoneRunsBut(const std::string& dir, std::uint32_t count) {
  const std::string path = JoinPath(dir, kFileName);
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("open", path, errno);
  }
  auto other = OtherLayoutRunning(file.get(), path, count);
  if (!other) return Error{other.error()};
  if (*other) return Error{InUseByOtherLayout(dir, **other)};
  return OkStatus();
}

bool DataDirLock::InPlace(const std::string& dir) const {
  struct stat named {};
  struct stat held {};
  if (::stat(JoinPath(dir, kFileName).c_str(), &named) != 0 || ::fstat(fd_.get(), &held) != 0) {
    return false;
  }
  return named.st_dev == held.st_dev && named.st_ino == held.st_ino;
}

namespace {

std::optional<dev_t> DeviceOf(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return status.st_dev;
}

}  // namespace

void DataDirLock::NoteDevices(const std::string& dir) {
  dir_device_ = DeviceOf(dir);
  parent_device_ = DeviceOf(ParentOf(dir));
}

// By device, not by mount or inode: a directory deleted and made again, by hand or by the shard,
// or the same volume mounted again, still holds (or may hold) the shard's files.
Status DataDirLock::OnItsFilesystem(const std::string& dir) const {
  const std::string unmounted =
      " (was its volume unmounted?); mount it again and start the shard: the files there hold "
      "everything it answered";
  if (const auto device = DeviceOf(dir)) {
    if (!dir_device_ || *device == *dir_device_) return OkStatus();
    return Error{"the data directory " + dir + " is no longer on the filesystem its files are on" +
                 unmounted};
  }
  const std::string parent = ParentOf(dir);
  const auto device = DeviceOf(parent);
  if (!device) return Error{"the data directory " + dir + " and its parent are gone" + unmounted};
  if (!parent_device_ || *device == *parent_device_) return OkStatus();  // made again there
  return Error{"the data directory " + dir + " is gone and its parent " + parent +
               " is on another filesystem than before" + unmounted};
}

}  // namespace shardtrack

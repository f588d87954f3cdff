#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"

namespace shardtrack {
namespace {

constexpr std::size_t kReadChunk = 1 << 16;

// What the operator can do about a file that would not open.
std::string_view RemedyFor(int error) {
  switch (error) {
    case ENOENT:
      return " (make it, or correct the path)";
    case EACCES:
      return " (give this process's user read access to it and its directories)";
    default:
      return "";
  }
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int error = errno;
    return Error{"cannot read " + path + ": " + std::strerror(error) +
                 std::string(RemedyFor(error))};
  }
  std::string text;
  struct stat info {};
  if (::fstat(fd.get(), &info) == 0 && info.st_size > 0) {
    text.reserve(static_cast<std::size_t>(info.st_size) + kReadChunk);  // one allocation
  }
  std::size_t used = 0;
  while (true) {
    text.resize(used + kReadChunk);
    const ssize_t got = ::read(fd.get(), text.data() + used, kReadChunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Error{"cannot read " + path + ": " + std::strerror(errno)};
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  text.resize(used);
  return text;
}

}  // namespace shardtrack

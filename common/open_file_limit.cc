#include "common/open_file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace shardtrack {

Result<std::uint64_t> RaiseOpenFileLimit(std::uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Error{std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= wanted) return limit.rlim_cur;
  const rlim_t raised =
      limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
  if (raised > limit.rlim_cur) {
    limit.rlim_cur = raised;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return Error{std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno)};
    }
  }
  return limit.rlim_cur;
}

Status RequireOpenFiles(std::uint64_t needed) {
  auto limit = RaiseOpenFileLimit(needed);
  if (!limit.ok()) return Error{limit.error()};
  if (*limit >= needed) return OkStatus();
  return Error{"the open-file limit is " + std::to_string(*limit) + ", below the " +
               std::to_string(needed) + " this process needs: raise it (ulimit -n, LimitNOFILE=)"};
}

}  // namespace shardtrack

#include "frontend/access/access_list_file.h"

#include <sys/stat.h>

#include "common/read_file.h"

namespace shardtrack {

FileStamp StampOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return {true, static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
          static_cast<std::int64_t>(info.st_size),
          static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

Result<AccessList> LoadAccessList(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text) return Error{text.error()};
  auto list = ParseAccessList(*text);
  if (!list) return Error{path + ": " + list.error()};
  return list;
}

}  // namespace shardtrack

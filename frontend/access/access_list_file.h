// An access list file on disk: what identifies one version of it (FileStamp, so a reloader can
// tell a changed file without reading it) and its parsed contents (LoadAccessList). Blocking
// file I/O: call these at start-up or from a background thread, never on a serving loop.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "frontend/access/access_list.h"

namespace shardtrack {

// One version of a file: a rewrite changes its size or mtime, a rename over it (the safe way to
// replace a file) its inode. A file that cannot be stat'ed has `exists` false.
struct FileStamp {
  bool exists = false;
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const std::string& path);

// The list in the file, or an error that names the file and, for a bad line, its number:
// "FILE: line 7 ...: expected ..." or "cannot read FILE: No such file or directory".
Result<AccessList> LoadAccessList(const std::string& path);

}  // namespace shardtrack

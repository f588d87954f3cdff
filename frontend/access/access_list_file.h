// An access list file on disk: its parsed contents. Blocking file I/O: call it at start-up or
// from a background thread, never on a serving loop.
#pragma once

#include <string>

#include "common/list_file.h"
#include "common/result.h"
#include "frontend/access/access_list.h"

namespace shardtrack {

// The list in the file, or an error that names the file and, for a bad line, its number:
// "FILE: line 7 ...: expected ..." or "cannot read FILE: No such file or directory".
inline Result<AccessList> LoadAccessList(const std::string& path) {
  return LoadListFile(path, &ParseAccessList);
}

}  // namespace shardtrack

// An access list on disk: a list file's parsed contents, or the torrents of a directory of
// .torrent files. Blocking file I/O: call it at start-up or from a background thread, never on a
// serving loop.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

#include "common/list_file.h"
#include "common/result.h"
#include "frontend/access/access_list.h"
#include "frontend/access/torrent_dir.h"

namespace shardtrack {

// The list in the file, or an error that names the file and, for a bad line, its number:
// "FILE: line 7 ...: expected ..." or "cannot read FILE: No such file or directory".
inline Result<AccessList> LoadAccessList(const std::string& path) {
  return LoadListFile(path, &ParseAccessList);
}

// LoadAccessList, or a directory's torrent files (torrent_dir.h), which it remembers so as to
// read only what changed the next time. TorrentAccess's Loader (list_file_reloader.h).
class AccessListReader {
 public:
  Result<AccessList> Load(const std::string& path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) return directory_.Load(path);
    return LoadAccessList(path);
  }

 private:
  TorrentDirReader directory_;
};

}  // namespace shardtrack

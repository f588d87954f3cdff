// An access list given as a directory of .torrent files, as the original tracker's allowed_dir
// was: every file under it (subdirectories too) whose name ends in ".torrent" adds the infohashes
// its clients announce under (torrent_file.h). Blocking file I/O: call it at start-up or from a
// background thread, never on a serving loop.
//
// Unlike a list file, which is used whole or not at all, a torrent file that cannot be read or
// parsed is left out with a warning naming it: such a directory is where uploads land, and one
// bad upload should not keep every new torrent out.
#pragma once

#include <string>

#include "common/result.h"
#include "frontend/access/access_list.h"

namespace shardtrack {

// The torrents under `directory`, or an error when the directory itself cannot be read.
Result<AccessList> LoadTorrentDir(const std::string& directory);

}  // namespace shardtrack

// An access list given as a directory of .torrent files, as the original tracker's allowed_dir
// was: every file under it (subdirectories too) whose name ends in ".torrent" adds the infohashes
// its clients announce under (torrent_file.h). Blocking file I/O: call it at start-up or from a
// background thread, never on a serving loop.
//
// Unlike a list file, which is used whole or not at all, a torrent file that cannot be read or
// parsed, or is larger than kMaxTorrentFileBytes, is left out with a warning naming it: such a
// directory is where uploads land, and one bad upload should not keep every new torrent out. One
// that could not be read is read again at the next Load (which the reloader makes once any file
// changes, a chmod included: FileStamp); a part of the walk that fails (a subdirectory that
// cannot be opened, for want of descriptors or of permission) fails the Load, so no list with
// holes comes into force.
//
// The reader remembers each file it read by path, inode, size and times, and reads again only
// the files that changed: a directory of 10,000 torrents (313 MB) took 2-3 s to read at first
// and 60-80 ms to read again (SIGHUP, 2026-12-04). One thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/fixed_bytes.h"
#include "common/list_file.h"
#include "common/result.h"
#include "frontend/access/access_list.h"
#include "frontend/access/torrent_file.h"

namespace shardtrack {

// Far above any real torrent file (a 1 TB torrent in 16 MiB pieces lists 1.2 MB of piece hashes),
// so that a stray huge file is not read into memory.
inline constexpr std::int64_t kMaxTorrentFileBytes = 64 << 20;

class TorrentDirReader {
 public:
  // The torrents under `directory`, or an error when the directory itself cannot be read.
  Result<AccessList> Load(const std::string& directory);

 private:
  struct ReadFile {
    FileStamp stamp;           // the version read
    TorrentIdentity identity;  // no infohashes: the file was bad (and was named in a warning)
  };

  // The file at `path`, whose version is `stamp` now: read again unless it is the version read
  // last time. Counts a bad file in `bad_files`.
  ReadFile Read(const std::string& path, const FileStamp& stamp, std::size_t& bad_files);

  std::unordered_map<std::string, ReadFile> read_;  // the files the last Load found, by path
};

}  // namespace shardtrack

// What the shardtrack-dfile tool does to a data directory, as functions it (and tests) call:
// inspect every file, export everything to the original tracker's dfile, import one. Pure apart
// from the FileOps they are handed.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "shard/persistence/file_ops.h"

namespace shardtrack {

struct FileReport {
  std::string name;
  bool ok = true;    // false: corrupt or unreadable (a shard would refuse to start)
  std::string text;  // one line: what the file is, its counts, "checksums OK" or the damage
};

struct DataDirReport {
  std::string unlisted;  // why the directory could not be listed (naming it); empty: it was
  std::vector<FileReport> files;  // every shardtrack file in the directory, by name
  std::string merged;             // what a cluster would serve, or why it cannot be computed
  bool merge_failed = false;      // a shard would refuse these files together (say one missing)
  bool ok() const;
};

DataDirReport InspectDataDir(FileOps& ops, const std::string& dir);

// Every torrent a cluster over `dir` would serve, as a bttrack.py dfile, but for peers last seen
// before `live_since` (expired: the format has no times, so an import would make them live
// again). Refuses corrupt files, and a directory without shard files.
Result<std::string> ExportDfile(FileOps& ops, const std::string& dir, UnixSeconds live_since = 0);

// Writes a bttrack.py / BitTornado dfile into `dir` as the snapshot of a one-shard layout
// (shard-0-of-1.snapshot, generation 1, after an empty first journal): a cluster of any size
// started over `dir` takes its share from it. Refuses a directory that already holds shardtrack
// files, but for the empty first journal an import cut short leaves. Returns a summary.
Result<std::string> ImportDfile(FileOps& ops, const std::string& dir, std::string_view dfile,
                                UnixSeconds now);

}  // namespace shardtrack

// Snapshot files: every torrent a shard owns, written like leveldb writes files. Pure apart from
// the FileOps it is handed.
//
// Layout: preamble "STSNAP" v1, a kSnapshotHeader record, one kTorrent record per torrent, and a
// kSnapshotTrailer record with the torrent and peer counts, so a file cut at a record boundary
// is detected as surely as a torn or flipped record. Nothing may follow the trailer.
//
// Writing: `<name>.tmp` is written and fsynced; the current file (if any) gets a second name
// `<name>.prev`; the temp file is renamed over `<name>`; the directory is fsynced. On any failure
// the temp file is removed (when the file system still lets us) and the current file is untouched:
// a crash at any moment leaves a complete current snapshot, or none if there never was one. The
// two halves are separate so that a forked child can write the temp file while its parent
// installs it later (shard_persistence.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "shard/persistence/file_ops.h"
#include "shard/persistence/record_codec.h"

namespace shardtrack {

class FrameReader;

inline constexpr std::string_view kSnapshotMagic = "STSNAP";
inline constexpr std::uint16_t kSnapshotVersion = 1;

using TorrentVisitor = std::function<void(const TorrentRecord&)>;
// Calls the visitor once for every torrent to save (SwarmStore's export, or a vector's loop).
using ForEachTorrent = std::function<void(const TorrentVisitor&)>;
// Whether a reader keeps a torrent (the routing function's verdict for the loading shard).
using KeepTorrent = std::function<bool(const InfoHash&)>;

struct SnapshotStats {
  std::uint64_t torrents = 0;
  std::uint64_t peers = 0;
  std::uint64_t completed_total = 0;
  std::uint64_t bytes = 0;
};

// Writes `shard-<header.index>-of-<header.count>.snapshot` in `dir`: WriteSnapshotTemp, then
// InstallSnapshot; the replaced snapshot is freed right here.
Result<SnapshotStats> WriteSnapshot(FileOps& ops, const std::string& dir, const FileHeader& header,
                                    const ForEachTorrent& for_each);
// Writes and fsyncs the snapshot's temp file `<name>.tmp`, which is not in force yet.
Result<SnapshotStats> WriteSnapshotTemp(FileOps& ops, const std::string& dir,
                                        const FileHeader& header, const ForEachTorrent& for_each);
// Puts the temp file of shard `index` of `count` in force: the current snapshot gets the name
// `.prev`, the temp file is renamed over it. The caller then fsyncs the directory (what a failed
// sync means differs between callers). Returns the snapshot that had the name `.prev` (replaced
// for good), unlinked but still open, so that the caller picks the thread that frees it by
// destroying it (FileOps::Unlink); nullptr when there was none.
Result<std::unique_ptr<UnlinkedFile>> InstallSnapshot(FileOps& ops, const std::string& dir,
                                                      std::uint32_t index, std::uint32_t count);
// Removes the snapshot's temp file (after a failure; a failing disk may refuse, and the next
// start removes it).
void RemoveSnapshotTemp(FileOps& ops, const std::string& dir, std::uint32_t index,
                        std::uint32_t count);

struct SnapshotContents {
  FileHeader header;
  std::vector<TorrentRecord> torrents;  // only those `keep` accepted (ParseSnapshot)
  SnapshotStats stats;                  // of the whole file (completed_total: kept torrents)
};

// Takes each kept torrent of a snapshot read record by record (moved: it may keep it).
using TorrentSink = std::function<void(TorrentRecord&&)>;

// Reads a snapshot a record at a time (FrameReader), handing each torrent `keep` accepts to
// `sink`, so that the file is never held whole. The same checks and errors as ParseSnapshot; on
// an error the sink has taken the torrents before it, and the caller must drop them. The
// result's `torrents` is empty. A read error is reported as such (file.path() and the errno text).
Result<SnapshotContents> ReadSnapshot(SequentialFile& file, const KeepTorrent& keep,
                                      const TorrentSink& sink);
// Checks every record; the error names what is wrong and its offset, never the file name.
Result<SnapshotContents> ParseSnapshot(std::string_view file, const KeepTorrent& keep);
// Just the header (reads only the first record), for cheap questions like retirement.
Result<FileHeader> ParseFileHeader(std::string_view file_prefix, std::string_view magic,
                                   std::uint16_t version, RecordType type);
// The same from a FrameReader at the start of a file, which it leaves after the header record.
Result<FileHeader> ReadFileHeader(FrameReader& reader, std::string_view magic,
                                  std::uint16_t version, RecordType type);

}  // namespace shardtrack
